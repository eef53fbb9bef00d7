package dev.dedup.jdbc;

/** Where a store step runs, which decides what it may do there. */
enum StepContext {

	/** On a connection of its own, committed at once: it checks expiry. */
	OWN_TRANSACTION,

	/**
	 * In the caller's transaction (transactional mode): the row it claimed is locked by that transaction, so
	 * nobody can have taken it over even if its lease ran out, and the transaction is never rolled back from here.
	 */
	CALLERS_TRANSACTION;

	static StepContext of(boolean joinsCallersTransaction) {
		return joinsCallersTransaction ? CALLERS_TRANSACTION : OWN_TRANSACTION;
	}

	boolean ownTransaction() {
		return this == OWN_TRANSACTION;
	}

	/** Whether a step that changes a row checks that its lease or retention has not run out. */
	boolean checksExpiry() {
		return this == OWN_TRANSACTION;
	}

}
