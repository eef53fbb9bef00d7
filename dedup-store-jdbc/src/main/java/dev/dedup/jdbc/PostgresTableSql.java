package dev.dedup.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.jspecify.annotations.Nullable;

import dev.dedup.core.store.ClaimResult;

/**
 * PostgreSQL. Times are {@code timestamptz} from {@code statement_timestamp()}: the database's clock, and
 * (unlike {@code now()}, which stands still for a whole transaction) the time of this statement even inside
 * a long business transaction. Keys travel as one text array, so a batch is one statement whatever its size.
 *
 * <p>A poll's keys are rows in state {@code P} under one poll row (as on MySQL: see {@link MySqlTableSql}),
 * written by the claim's one statement, so completing the poll is one {@code UPDATE}; every read joins the
 * poll's row, and a key of a lapsed poll is deleted before it is claimed again.
 *
 * <p>The claim of a batch is first a plain {@code INSERT} of every key, in auto-commit: all or nothing, so when
 * every key is new that one statement is the whole claim. It costs the server a third less than the upsert
 * below (no speculative insertion, no rows returned); its price is one failed statement, which PostgreSQL
 * logs as a unique violation, for a batch with a key that has a row. Then, or for a single key, or inside
 * the caller's transaction: {@code INSERT … ON CONFLICT DO UPDATE … WHERE expired RETURNING} says which keys
 * this call inserted or took over. Only when it returns fewer keys than asked does
 * a second statement read the other keys' rows (measured with {@code psql}: reading them in the same
 * statement, as a CTE did before, cost the machine 6–26 µs more per key, claim and mark, with every key
 * new). ON CONFLICT never raises a duplicate-key error, so it never aborts the caller's transaction. A row
 * that a concurrent release or expiry removes between the two statements is not found by the read; that key
 * answers null and the store runs the claim again.
 */
final class PostgresTableSql extends TableSql {

	/** PostgreSQL's SQLSTATE for a unique violation. */
	private static final String UNIQUE_VIOLATION = "23505";

	PostgresTableSql(TableName table) {
		super(table);
	}

	@Override
	String now() {
		return "statement_timestamp()";
	}

	@Override
	String nowPlusMillis() {
		return "(statement_timestamp() + CAST(? AS BIGINT) * INTERVAL '1 millisecond')";
	}

	@Override
	String remainingMillis() {
		return "CAST(EXTRACT(EPOCH FROM (expires_at - statement_timestamp())) * 1000 AS BIGINT)";
	}

	@Override
	@Nullable
	ClaimResult[] claim(Connection connection, List<String> keys, String owner, long leaseMillis,
			StepContext where)
			throws SQLException {
		if (keys.size() > 1 && where.ownTransaction() && connection.getAutoCommit()
				&& insertAllNew(connection, keys, owner, leaseMillis, null)) {
			return allAcquired(keys.size());
		}
		return answers(connection, keys, insertOrTakeOver(connection, keys, owner, leaseMillis, null));
	}

	/**
	 * Inserts every key (and the poll's row, unless written), or none: a plain INSERT fails as a whole on the
	 * first key that has a row, and in auto-commit that failure is its own. For polls of 500 new keys it cost
	 * the server 6.4–9.7 µs per key against 9.3–14.6 for {@link #insertOrTakeOver}'s upsert, in two runs of
	 * {@code benchmarks/scripts/PostgresClaimForms.java}. A batch with a key that has a row (a redelivered
	 * poll) pays one failed statement for it, which PostgreSQL logs as a unique violation; a single key never
	 * takes this path, so a repeated HTTP request or record does not.
	 * @return whether every key was inserted; false when some key had a row, and nothing was written
	 */
	private boolean insertAllNew(Connection connection, List<String> keys, String owner, long leaseMillis,
			@Nullable PollClaim poll) throws SQLException {
		boolean withPollRow = poll != null && !poll.rowWritten();
		try (PreparedStatement statement = connection.prepareStatement("INSERT INTO " + this.table
				+ " (dedup_key, state, owner, expires_at, result, created_at, updated_at) "
				+ newRows(poll != null, withPollRow))) {
			int rows = bindNewRows(connection, statement, keys, owner, leaseMillis, poll, withPollRow);
			return statement.executeUpdate() == rows;
		}
		catch (SQLException ex) {
			if (UNIQUE_VIOLATION.equals(ex.getSQLState())) {
				return false;
			}
			throw ex;
		}
	}

	/** The rows of a claim, as the SELECT of an INSERT: the keys, then the poll's row if {@code withPollRow}. */
	private String newRows(boolean ofPoll, boolean withPollRow) {
		return "SELECT k, '" + (ofPoll ? "P" : "C") + "', ?, " + nowPlusMillis()
				+ ", CAST(NULL AS BYTEA), statement_timestamp(), statement_timestamp() FROM unnest(CAST(? AS TEXT[])) AS k"
				+ (withPollRow ? " UNION ALL SELECT ?, 'C', ?, " + nowPlusMillis()
						+ ", NULL, statement_timestamp(), statement_timestamp()" : "");
	}

	/** Binds {@link #newRows}'s parameters; returns how many rows they are. */
	private static int bindNewRows(Connection connection, PreparedStatement statement, List<String> keys, String owner,
			long leaseMillis, @Nullable PollClaim poll, boolean withPollRow) throws SQLException {
		statement.setString(1, owner);
		statement.setLong(2, poll == null ? leaseMillis : poll.keyRowMillis());
		statement.setArray(3, connection.createArrayOf("text", keys.toArray()));
		if (withPollRow) {
			statement.setString(4, poll.rowKey());
			statement.setString(5, owner);
			statement.setLong(6, leaseMillis);
			return keys.size() + 1;
		}
		return keys.size();
	}

	/**
	 * What each key answers, given the keys the claim's statement took: the others are read, and a key with
	 * neither (a key of a lapsed poll) is deleted, to be claimed again when the claim retries.
	 */
	private @Nullable ClaimResult[] answers(Connection connection, List<String> keys, Set<String> acquired)
			throws SQLException {
		@Nullable ClaimResult[] answers = new @Nullable ClaimResult[keys.size()];
		if (acquired.size() == keys.size()) {
			return allAcquired(keys.size()); // every key was new or lapsed
		}
		List<String> found = keys.stream().filter(key -> !acquired.contains(key)).toList();
		Map<String, LiveRow> live = readLive(connection, found, false);
		List<String> lapsed = new ArrayList<>();
		for (int i = 0; i < keys.size(); i++) {
			String key = keys.get(i);
			LiveRow row = live.get(key);
			answers[i] = acquired.contains(key) ? ClaimResult.acquired() : row == null ? null : row.answer();
			if (answers[i] == null) {
				lapsed.add(key);
			}
		}
		if (!lapsed.isEmpty()) {
			forgetLapsedPollKeys(connection, lapsed);
		}
		return answers;
	}

	/**
	 * Deletes the rows among {@code keys} of polls whose own row is gone or lapsed. Safe on this statement's
	 * snapshot: a key row becomes a poll's only in its poll row's transaction or after it, so wherever the
	 * key row is seen as the poll's, its poll row is seen too.
	 */
	private void forgetLapsedPollKeys(Connection connection, List<String> keys) throws SQLException {
		String sql = "DELETE FROM " + this.table + " AS k WHERE dedup_key = ANY(CAST(? AS TEXT[])) AND state = 'P' "
				+ "AND NOT " + livePollRowOf("k", false);
		try (PreparedStatement statement = connection.prepareStatement(sql)) {
			statement.setArray(1, connection.createArrayOf("text", keys.toArray()));
			statement.executeUpdate();
		}
	}

	@Override
	boolean keepsPolls() {
		return true;
	}

	/**
	 * As {@link #claim}, each key's row in state {@code P} under the poll's row, which holds the lease; the
	 * poll's row goes in the same statement as the first keys.
	 */
	@Override
	@Nullable
	ClaimResult[] claimPoll(Connection connection, List<String> keys, PollClaim poll, long leaseMillis)
			throws SQLException {
		String owner = poll.owner();
		if (keys.size() > 1 && connection.getAutoCommit() && insertAllNew(connection, keys, owner, leaseMillis, poll)) {
			poll.markRowWritten();
			return allAcquired(keys.size());
		}
		Set<String> acquired = insertOrTakeOver(connection, keys, owner, leaseMillis, poll);
		poll.markRowWritten();
		return answers(connection, keys, acquired);
	}

	/**
	 * Inserts the absent keys and takes over the expired ones, never a key of a poll (whose own expiry does
	 * not say whether it lives); returns which keys it took. For a poll, the keys' rows are in state
	 * {@code P}, and the poll's row goes in too unless written. ON CONFLICT sees the latest row, but a
	 * subquery there would see this statement's snapshot, in which the poll row of a key another claim has
	 * just written may not be yet: the keys of lapsed polls are deleted on their own instead ({@link #answers}).
	 */
	private Set<String> insertOrTakeOver(Connection connection, List<String> keys, String owner, long leaseMillis,
			@Nullable PollClaim poll) throws SQLException {
		boolean withPollRow = poll != null && !poll.rowWritten();
		String sql = "INSERT INTO " + this.table + " AS d (dedup_key, state, owner, expires_at, result, created_at, "
				+ "updated_at) " + newRows(poll != null, withPollRow)
				+ " ON CONFLICT (dedup_key) DO UPDATE SET state = EXCLUDED.state, owner = EXCLUDED.owner, "
				+ "expires_at = EXCLUDED.expires_at, result = NULL, created_at = EXCLUDED.created_at, "
				+ "updated_at = EXCLUDED.updated_at WHERE d.state <> 'P' AND d.expires_at <= statement_timestamp() "
				+ "RETURNING d.dedup_key";
		Set<String> acquired = new HashSet<>();
		try (PreparedStatement statement = connection.prepareStatement(sql)) {
			bindNewRows(connection, statement, keys, owner, leaseMillis, poll, withPollRow);
			try (ResultSet rows = statement.executeQuery()) {
				while (rows.next()) {
					acquired.add(rows.getString(1));
				}
			}
		}
		if (withPollRow) {
			acquired.remove(poll.rowKey());
		}
		return acquired;
	}

	/** The key of the poll row of key row {@code alias}, as SQL. */
	private static String pollRowOf(String alias) {
		return "CHR(1) || 'poll:' || " + alias + ".owner";
	}

	/** A live poll row of key row {@code alias}, CONSUMING with {@code consuming}, as an SQL condition. */
	private String livePollRowOf(String alias, boolean consuming) {
		return "EXISTS (SELECT 1 FROM " + this.table + " p WHERE p.dedup_key = " + pollRowOf(alias)
				+ (consuming ? " AND p.state = 'C'" : "") + " AND p.expires_at > statement_timestamp())";
	}

	@Override
	boolean[] completeAll(Connection connection, List<String> keys, String owner, long retentionMillis,
			StepContext where) throws SQLException {
		String sql = "UPDATE " + this.table + " SET state = 'D', owner = NULL, result = NULL, expires_at = "
				+ nowPlusMillis() + ", updated_at = statement_timestamp() WHERE dedup_key = ANY(CAST(? AS TEXT[])) "
				+ "AND state = 'C' AND owner = ?" + expiryCheck(where) + " RETURNING dedup_key";
		Set<String> completed = markReturning(connection, sql, keys, owner, retentionMillis);
		if (completed.size() < keys.size()) {
			// Keys of this owner's poll, while the poll's row is CONSUMING and live, one row each.
			completed.addAll(markReturning(connection, "UPDATE " + this.table + " AS k SET state = 'D', owner = NULL, "
					+ "result = NULL, expires_at = " + nowPlusMillis() + ", updated_at = statement_timestamp() "
					+ "WHERE dedup_key = ANY(CAST(? AS TEXT[])) AND state = 'P' AND owner = ? AND "
					+ livePollRowOf("k", true) + " RETURNING dedup_key", keys, owner, retentionMillis));
		}
		boolean[] answers = new boolean[keys.size()];
		for (int i = 0; i < keys.size(); i++) {
			answers[i] = completed.contains(keys.get(i));
		}
		return answers;
	}

	/** Runs a mark of {@code keys} ({@code retentionMillis}, the keys, the owner); returns the keys it marked. */
	private static Set<String> markReturning(Connection connection, String sql, List<String> keys, String owner,
			long retentionMillis) throws SQLException {
		Set<String> marked = new HashSet<>();
		try (PreparedStatement statement = connection.prepareStatement(sql)) {
			statement.setLong(1, retentionMillis);
			statement.setArray(2, connection.createArrayOf("text", keys.toArray()));
			statement.setString(3, owner);
			try (ResultSet rows = statement.executeQuery()) {
				while (rows.next()) {
					marked.add(rows.getString(1));
				}
			}
		}
		return marked;
	}

	@Override
	String completePollKeySql() {
		return "UPDATE " + this.table + " AS k SET state = 'D', owner = NULL, result = ?, expires_at = "
				+ nowPlusMillis() + ", updated_at = statement_timestamp() WHERE dedup_key = ? AND state = 'P' "
				+ "AND owner = ? AND " + livePollRowOf("k", true);
	}

	@Override
	String releasePollKeySql() {
		return "DELETE FROM " + this.table + " AS k WHERE dedup_key = ? AND state = 'P' AND owner = ? AND "
				+ livePollRowOf("k", true);
	}

	/** A key of a poll renews its poll's row. */
	@Override
	boolean renew(Connection connection, String key, String owner, long leaseMillis) throws SQLException {
		if (super.renew(connection, key, owner, leaseMillis)) {
			return true;
		}
		String sql = "UPDATE " + this.table + " SET expires_at = " + nowPlusMillis() + ", updated_at = "
				+ "statement_timestamp() WHERE dedup_key = ? AND state = 'C' AND expires_at > statement_timestamp() "
				+ "AND EXISTS (SELECT 1 FROM " + this.table + " WHERE dedup_key = ? AND state = 'P' AND owner = ?)";
		try (PreparedStatement statement = connection.prepareStatement(sql)) {
			statement.setLong(1, leaseMillis);
			statement.setString(2, PollClaim.rowKey(owner));
			statement.setString(3, key);
			statement.setString(4, owner);
			return statement.executeUpdate() == 1;
		}
	}

	/**
	 * The live rows among {@code keys}, a key of a poll with its poll row's state and remaining time (absent
	 * when that row is gone or lapsed).
	 */
	@Override
	Map<String, LiveRow> readLive(Connection connection, List<String> keys, boolean lock) throws SQLException {
		String sql = "SELECT k.dedup_key, CASE WHEN k.state = 'P' THEN p.state ELSE k.state END, k.owner, k.result, "
				+ "CAST(EXTRACT(EPOCH FROM (CASE WHEN k.state = 'P' THEN p.expires_at ELSE k.expires_at END "
				+ "- statement_timestamp())) * 1000 AS BIGINT) FROM " + this.table + " k LEFT JOIN " + this.table
				+ " p ON k.state = 'P' AND p.dedup_key = " + pollRowOf("k") + " AND p.expires_at > statement_timestamp() "
				+ "WHERE k.dedup_key = ANY(CAST(? AS TEXT[])) AND ((k.state <> 'P' AND k.expires_at > "
				+ "statement_timestamp()) OR p.dedup_key IS NOT NULL)" + (lock ? " FOR UPDATE OF k" : "");
		try (PreparedStatement statement = connection.prepareStatement(sql)) {
			statement.setArray(1, connection.createArrayOf("text", keys.toArray()));
			try (ResultSet rows = statement.executeQuery()) {
				return liveRows(rows);
			}
		}
	}

	/** SKIP LOCKED: purgers on several instances take different rows instead of waiting for each other. */
	@Override
	int purge(Connection connection, int limit) throws SQLException {
		// A key of a poll only once its poll's row is gone or lapsed; a poll row never comes back.
		String sql = "DELETE FROM " + this.table + " WHERE dedup_key IN (SELECT dedup_key FROM " + this.table
				+ " AS k WHERE expires_at <= statement_timestamp() AND (state <> 'P' OR NOT " + livePollRowOf("k", false)
				+ ") LIMIT ? FOR UPDATE SKIP LOCKED) AND expires_at <= statement_timestamp()";
		try (PreparedStatement statement = connection.prepareStatement(sql)) {
			statement.setInt(1, limit);
			return statement.executeUpdate();
		}
	}

}
