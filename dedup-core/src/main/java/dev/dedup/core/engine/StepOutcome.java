package dev.dedup.core.engine;

/**
 * What the engine answered to a step on an entry whose owner the caller chose ({@link DedupEngine#completeAs},
 * {@link DedupEngine#releaseAs}).
 */
public enum StepOutcome {

	/** The store took the step. */
	DONE,

	/** Refused: the entry is CONSUMED already (only {@link DedupEngine#completeAs} tells this apart). */
	ALREADY_CONSUMED,

	/** Refused: there is no entry CONSUMING under this owner (none, expired, or another owner's). */
	NOT_HELD,

	/** The store is down and the policy is fail-open: nothing was changed, go on without it. */
	BYPASSED

}
