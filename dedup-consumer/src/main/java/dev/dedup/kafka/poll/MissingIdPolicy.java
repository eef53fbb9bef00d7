package dev.dedup.kafka.poll;

/** What to do with a record that has no usable message id (absent, empty, or with control characters). */
public enum MissingIdPolicy {

	/**
	 * Use {@code offset:{topic}-{partition}-{offset}} as the id: redeliveries of the same record (crash,
	 * rebalance) are still caught, producer resends are not.
	 */
	OFFSET,

	/**
	 * Throw {@link dev.dedup.core.key.InvalidMessageIdException} to the container's error handler, which
	 * retries and then recovers it as configured (dead-letter topic, log).
	 */
	REJECT,

	/** Run the handler without dedup protection (and count it). */
	SKIP

}
