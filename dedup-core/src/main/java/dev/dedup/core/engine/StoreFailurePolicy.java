package dev.dedup.core.engine;

import java.time.Duration;

/** What to do when the store cannot be reached while claiming. */
public enum StoreFailurePolicy {

	/** Run nothing unprotected: the claim throws, and the caller retries the delivery later. */
	FAIL_CLOSED,

	/** Run the work without dedup protection (and count it): availability over once-only. */
	FAIL_OPEN;

	/**
	 * Under {@link #FAIL_CLOSED}, how long a caller waits before it tries again: a Kafka record's redelivery,
	 * an HTTP 503's {@code Retry-After}. Long enough for the circuit breaker to try the store again, short
	 * enough that a blip costs about a second.
	 */
	public static final Duration RETRY_AFTER = Duration.ofSeconds(1);

}
