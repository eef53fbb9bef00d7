package dev.dedup.jdbc;

/**
 * One {@code claimPoll} call on a dialect that keeps polls ({@link TableSql#keepsPolls()}): its keys' rows
 * are in state {@code P}, owned by the poll, whose own row (under {@link #rowKey}) holds the lease and then
 * the CONSUMED state of them all. The poll's row is written once, by the first of the call's statements
 * that writes a key.
 */
final class PollClaim {

	/** Starts every poll row's key: a control character, which no {@code DedupKeys} key holds. */
	static final String ROW_KEY_PREFIX = "\u0001poll:";

	private final String owner;

	private final long keyRowMillis;

	private boolean rowWritten;

	/**
	 * @param keyRowMillis how long a key row lives by its own expiry, which only tells the purge when to
	 * look at its poll's row: the longer of the lease and the retention
	 */
	PollClaim(String owner, long keyRowMillis) {
		this.owner = owner;
		this.keyRowMillis = keyRowMillis;
	}

	static String rowKey(String owner) {
		return ROW_KEY_PREFIX + owner;
	}

	String owner() {
		return this.owner;
	}

	String rowKey() {
		return rowKey(this.owner);
	}

	long keyRowMillis() {
		return this.keyRowMillis;
	}

	boolean rowWritten() {
		return this.rowWritten;
	}

	void markRowWritten() {
		this.rowWritten = true;
	}

}
