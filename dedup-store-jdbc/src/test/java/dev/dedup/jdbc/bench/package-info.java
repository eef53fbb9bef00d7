/**
 * Hand-run measurement harnesses (plain mains, never run by the build; numbers are reported, never asserted).
 */
@NullMarked
package dev.dedup.jdbc.bench;

import org.jspecify.annotations.NullMarked;
