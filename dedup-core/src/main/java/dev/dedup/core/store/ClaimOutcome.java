package dev.dedup.core.store;

/** What a store answered to a claim. */
public enum ClaimOutcome {

	/** The key was absent or expired; it is now CONSUMING under the caller's owner id. */
	ACQUIRED,

	/** The key is CONSUMED: the message was processed already. Nothing changed. */
	DUPLICATE,

	/** The key is CONSUMING under another owner whose lease has not run out. Nothing changed. */
	IN_PROGRESS

}
