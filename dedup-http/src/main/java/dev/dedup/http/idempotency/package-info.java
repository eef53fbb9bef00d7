/**
 * The IDEMPOTENCY_KEY strategy (draft-ietf-httpapi-idempotency-key-header): run once, replay the stored response.
 */
@NullMarked
package dev.dedup.http.idempotency;

import org.jspecify.annotations.NullMarked;
