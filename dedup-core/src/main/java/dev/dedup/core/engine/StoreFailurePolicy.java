package dev.dedup.core.engine;

/** What to do when the store cannot be reached while claiming. */
public enum StoreFailurePolicy {

	/** Run nothing unprotected: the claim throws, and the caller retries the delivery later. */
	FAIL_CLOSED,

	/** Run the work without dedup protection (and count it): availability over once-only. */
	FAIL_OPEN

}
