/**
 * The LOCK strategy: one submit of the same thing at a time, per identity.
 */
@NullMarked
package dev.dedup.http.lock;

import org.jspecify.annotations.NullMarked;
