package dev.dedup.core.engine;

/** What the engine decided for a claim. */
public enum ClaimStatus {

	/** This caller owns the key: do the work, then complete or release the claim. */
	ACQUIRED,

	/** The work was done already: skip it. */
	DUPLICATE,

	/** Someone else is doing the work right now: try again later, or skip. */
	IN_PROGRESS,

	/** The store is down and the policy is fail-open: do the work without protection. */
	BYPASSED;

	/** Whether the caller should do the work now. */
	public boolean shouldRun() {
		return this == ACQUIRED || this == BYPASSED;
	}

}
