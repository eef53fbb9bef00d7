package dev.dedup.kafka.poll;

/** What to do with a record whose id another consumer holds right now (CONSUMING, lease not run out). */
public enum InProgressPolicy {

	/**
	 * Redeliver it later, after a wait bounded by the other consumer's lease, until it is either DUPLICATE
	 * (the other run finished) or ACQUIRED (the other run failed or died). These waits do not spend the
	 * error handler's retry budget.
	 */
	RETRY,

	/** Acknowledge it without running the handler, trusting the other run to finish. */
	SKIP

}
