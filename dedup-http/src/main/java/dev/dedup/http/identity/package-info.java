/**
 * Who is submitting: the scope that keeps one client's locks, tokens and idempotency keys apart from another's.
 */
@NullMarked
package dev.dedup.http.identity;

import org.jspecify.annotations.NullMarked;
