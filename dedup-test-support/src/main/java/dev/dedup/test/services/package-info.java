/**
 * Real services for tests (Redis, MariaDB and PostgreSQL on this machine, a private Redis process), free
 * of Spring. A missing service fails the test with a message saying how to start it; nothing is skipped.
 */
@NullMarked
package dev.dedup.test.services;

import org.jspecify.annotations.NullMarked;
