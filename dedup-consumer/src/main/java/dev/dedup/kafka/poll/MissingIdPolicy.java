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
	UNPROTECTED,

	/**
	 * The former name of {@link #UNPROTECTED}, kept so that {@code dedup.kafka.missing-id=skip} still binds.
	 * It never skipped the record: it ran it without protection.
	 * @deprecated use {@link #UNPROTECTED}
	 */
	@Deprecated(since = "0.2")
	SKIP;

	/** The policy this one stands for: {@link #SKIP} is {@link #UNPROTECTED}. */
	@SuppressWarnings("deprecation")
	public MissingIdPolicy canonical() {
		return (this == SKIP) ? UNPROTECTED : this;
	}

}
