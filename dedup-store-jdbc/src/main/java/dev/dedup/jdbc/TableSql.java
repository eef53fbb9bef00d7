package dev.dedup.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.HashMap;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

import dev.dedup.core.store.ClaimResult;

/**
 * One vendor's SQL for the dedup table. Every time comparison and assignment uses the database's clock
 * ({@link #now()}); Java only ever binds durations in milliseconds, never an instant. Keys passed to the
 * batch methods are distinct and sorted, so concurrent batches lock rows in one order and cannot deadlock.
 *
 * <p>Rows: {@code state} is {@code C} (CONSUMING, with {@code owner}) or {@code D} (CONSUMED, owner null,
 * optional {@code result}); a row whose {@code expires_at} is not after now counts as absent. A dialect that
 * {@linkplain #keepsPolls() keeps polls} also has {@code P} rows, whose state and lease are their poll's row's.
 */
abstract class TableSql {

	protected final String table;

	TableSql(TableName table) {
		this.table = table.value();
	}

	/**
	 * The table, for a statement that finds its rows by a list of keys and also filters on {@code expires_at}:
	 * a dialect whose optimizer may pick the expiry index for it names the primary key here.
	 */
	String byPrimaryKey() {
		return this.table;
	}

	/** The database's current time. */
	abstract String now();

	/** The database's current time plus one bound parameter of milliseconds. */
	abstract String nowPlusMillis();

	/** Milliseconds from the database's now until {@code expires_at}, computed by the database. */
	abstract String remainingMillis();

	/**
	 * Claims distinct, sorted keys for {@code owner}: absent or expired rows become CONSUMING. One answer per
	 * key, in order; null where a concurrent change hid the row between two statements (the caller retries).
	 */
	abstract @Nullable ClaimResult[] claim(Connection connection, List<String> keys, String owner,
			long leaseMillis, StepContext where) throws SQLException;

	/** The answers of a claim in which every one of {@code keys} keys was acquired: the common case. */
	static @Nullable ClaimResult[] allAcquired(int keys) {
		@Nullable ClaimResult[] answers = new @Nullable ClaimResult[keys];
		Arrays.fill(answers, ClaimResult.acquired());
		return answers;
	}

	/**
	 * Whether this dialect keeps polls: {@link #claimPoll} writes a poll's key rows in state {@code P} under
	 * one poll row, and {@link #markPollRow} marks them all with that row. A dialect that does not is never
	 * asked to, and its tables never hold such rows.
	 */
	boolean keepsPolls() {
		return false;
	}

	/** As {@link #claim} on a connection of its own, for a poll ({@link #keepsPolls()}). */
	@Nullable
	ClaimResult[] claimPoll(Connection connection, List<String> keys, PollClaim poll, long leaseMillis)
			throws SQLException {
		throw new UnsupportedOperationException(getClass().getSimpleName() + " does not keep polls");
	}

	/**
	 * The poll row of {@code owner}, CONSUMING and live → CONSUMED until now + retention, which marks every key
	 * row the poll holds ({@link #keepsPolls()}).
	 * @return false if the row is not CONSUMING and live (the poll's lease was lost, or there is no such row)
	 */
	boolean markPollRow(Connection connection, String owner, long retentionMillis) throws SQLException {
		String sql = "UPDATE " + this.table + " SET state = 'D', expires_at = " + nowPlusMillis() + ", updated_at = "
				+ now() + " WHERE dedup_key = ? AND state = 'C' AND expires_at > " + now();
		try (PreparedStatement statement = connection.prepareStatement(sql)) {
			statement.setLong(1, retentionMillis);
			setText(statement, 2, PollClaim.rowKey(owner));
			return statement.executeUpdate() == 1;
		}
	}

	/** Completes distinct, sorted keys without result; one answer per key, in order. */
	abstract boolean[] completeAll(Connection connection, List<String> keys, String owner, long retentionMillis,
			StepContext where) throws SQLException;

	/** Deletes at most {@code limit} expired rows; returns how many. */
	abstract int purge(Connection connection, int limit) throws SQLException;

	/** Runs once per store, on a connection of its own, before its first step. */
	void prepare(Connection connection) throws SQLException {
	}

	private static void setResult(PreparedStatement statement, int index, byte @Nullable [] result) throws SQLException {
		if (result != null) {
			statement.setBytes(index, result);
		}
		else {
			statement.setNull(index, Types.VARBINARY);
		}
	}

	void setText(PreparedStatement statement, int index, String value) throws SQLException {
		statement.setString(index, value);
	}

	@Nullable
	String getText(ResultSet resultSet, int column) throws SQLException {
		return resultSet.getString(column);
	}

	/**
	 * CONSUMING under {@code owner} → CONSUMED: the key's own row, or else, where the dialect keeps polls, a
	 * key of this owner's poll ({@link #completePollKeySql()}).
	 */
	boolean complete(Connection connection, String key, String owner, long retentionMillis,
			byte @Nullable [] result, StepContext where) throws SQLException {
		String sql = "UPDATE " + this.table + " SET state = 'D', owner = NULL, result = ?, expires_at = "
				+ nowPlusMillis() + ", updated_at = " + now() + " WHERE dedup_key = ? AND state = 'C' AND owner = ?"
				+ expiryCheck(where);
		if (completeOne(connection, sql, key, owner, retentionMillis, result)) {
			return true;
		}
		return keepsPolls() && completeOne(connection, completePollKeySql(), key, owner, retentionMillis, result);
	}

	/** Runs a complete whose parameters are the result, the retention, the key and the owner. */
	private boolean completeOne(Connection connection, String sql, String key, String owner, long retentionMillis,
			byte @Nullable [] result) throws SQLException {
		try (PreparedStatement statement = connection.prepareStatement(sql)) {
			setResult(statement, 1, result);
			statement.setLong(2, retentionMillis);
			setText(statement, 3, key);
			setText(statement, 4, owner);
			return statement.executeUpdate() == 1;
		}
	}

	/**
	 * CONSUMING under {@code owner} → deleted: the key's own row, or else, where the dialect keeps polls, a
	 * key of this owner's poll ({@link #releasePollKeySql()}).
	 */
	boolean release(Connection connection, String key, String owner, StepContext where) throws SQLException {
		String sql = "DELETE FROM " + this.table + " WHERE dedup_key = ? AND state = 'C' AND owner = ?"
				+ expiryCheck(where);
		if (releaseOne(connection, sql, key, owner)) {
			return true;
		}
		return keepsPolls() && releaseOne(connection, releasePollKeySql(), key, owner);
	}

	/** Runs a release whose parameters are the key and the owner. */
	private boolean releaseOne(Connection connection, String sql, String key, String owner) throws SQLException {
		try (PreparedStatement statement = connection.prepareStatement(sql)) {
			setText(statement, 1, key);
			setText(statement, 2, owner);
			return statement.executeUpdate() == 1;
		}
	}

	/**
	 * Where the dialect keeps polls: a key of this owner's poll → CONSUMED on its own row, while the poll's row
	 * is CONSUMING and live. Parameters: the result, the retention in milliseconds, the key, the owner.
	 */
	String completePollKeySql() {
		throw new UnsupportedOperationException(getClass().getSimpleName() + " does not keep polls");
	}

	/**
	 * Where the dialect keeps polls: a key of this owner's poll → deleted, while the poll's row is CONSUMING
	 * and live. Parameters: the key, the owner.
	 */
	String releasePollKeySql() {
		throw new UnsupportedOperationException(getClass().getSimpleName() + " does not keep polls");
	}

	/** Deletes the row of {@code key}, expired or not, whatever its state and owner. */
	boolean evict(Connection connection, String key) throws SQLException {
		try (PreparedStatement statement = connection.prepareStatement("DELETE FROM " + this.table
				+ " WHERE dedup_key = ?")) {
			setText(statement, 1, key);
			return statement.executeUpdate() == 1;
		}
	}

	boolean renew(Connection connection, String key, String owner, long leaseMillis) throws SQLException {
		String sql = "UPDATE " + this.table + " SET expires_at = " + nowPlusMillis() + ", updated_at = " + now()
				+ " WHERE dedup_key = ? AND state = 'C' AND owner = ? AND expires_at > " + now();
		try (PreparedStatement statement = connection.prepareStatement(sql)) {
			statement.setLong(1, leaseMillis);
			setText(statement, 2, key);
			setText(statement, 3, owner);
			return statement.executeUpdate() == 1;
		}
	}

	/**
	 * The unexpired rows among {@code keys}. With {@code lock}, a locking read ({@code FOR UPDATE}): it sees
	 * the latest committed row even in a REPEATABLE READ transaction, where a plain read sees a snapshot.
	 */
	Map<String, LiveRow> readLive(Connection connection, List<String> keys, boolean lock) throws SQLException {
		String sql = "SELECT dedup_key, state, owner, result, " + remainingMillis() + " FROM " + byPrimaryKey()
				+ " WHERE dedup_key IN (" + placeholders(keys.size()) + ") AND expires_at > " + now()
				+ (lock ? " FOR UPDATE" : "");
		try (PreparedStatement statement = connection.prepareStatement(sql)) {
			for (int i = 0; i < keys.size(); i++) {
				setText(statement, i + 1, keys.get(i));
			}
			try (ResultSet rows = statement.executeQuery()) {
				return liveRows(rows);
			}
		}
	}

	Map<String, LiveRow> liveRows(ResultSet rows) throws SQLException {
		Map<String, LiveRow> live = new HashMap<>();
		while (rows.next()) {
			String key = getText(rows, 1);
			String state = rows.getString(2);
			if (key != null && state != null) {
				live.put(key, new LiveRow(state.trim(), getText(rows, 3), rows.getBytes(4), rows.getLong(5)));
			}
		}
		return live;
	}

	String expiryCheck(StepContext where) {
		return expiryCheck(where.checksExpiry());
	}

	String expiryCheck(boolean checkExpiry) {
		return checkExpiry ? " AND expires_at > " + now() : "";
	}

	static String placeholders(int count) {
		return String.join(", ", java.util.Collections.nCopies(count, "?"));
	}

}
