package dev.dedup.jdbc;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

import org.jspecify.annotations.Nullable;
import tools.jackson.core.io.JsonStringEncoder;

import dev.dedup.core.store.ClaimResult;

/**
 * MySQL 8 and MariaDB 10.11. Keys and owners are {@code VARBINARY}, their UTF-8 bytes (byte-exact, no
 * collation, no trailing-space padding; bound as text in a {@code utf8mb4} session, else as bytes); times
 * are {@code DATETIME(3)} in UTC from {@code UTC_TIMESTAMP(3)}, so the session time zone never matters.
 *
 * <p>The claim of a single key is one {@code INSERT … ON DUPLICATE KEY UPDATE} whose update half only takes
 * over a row that has expired (each assignment is conditional, {@code expires_at} last because MySQL assigns
 * left to right). With affected-rows semantics (mysql-connector-j or MariaDB Connector/J with
 * {@code useAffectedRows=true}) its count says what happened: 1 inserted, 2 taken over, 0 a live row left
 * alone, which a locking read then reports. The drivers' default is found-rows semantics, where a live row
 * left alone also counts 1, like an insert; {@link #prepare} detects which one the connections use.
 *
 * <p>A batch (and a single key with found rows) first tries a plain INSERT of every key, in auto-commit:
 * all or nothing, so when it succeeds that one statement is the whole claim, and when some key has a row it
 * fails with a duplicate-key error and writes nothing. Then the claim reads the keys, upserts only the absent
 * or expired ones, and reads those again to see which now carry its owner (a multi-row upsert's count is a
 * sum). Completing a batch is likewise one UPDATE, and a read of which rows it marked only when it counts
 * fewer than asked. No step needs a transaction of its own.
 *
 * <p>A poll's claim ({@link #claimPoll}) writes its keys' rows in state {@code P} and the poll's own row in the
 * same all-or-nothing INSERT; the poll's row holds their lease, and marking it CONSUMED marks them all
 * ({@link #markPollRow}). Every read joins a {@code P} row to its poll's row (a self-join on the primary key),
 * and a step on one key of a poll (complete, release, renew) works on that join.
 */
final class MySqlTableSql extends TableSql {

	/** MySQL's and MariaDB's error code for a duplicate key. */
	private static final int ER_DUP_ENTRY = 1062;

	/** Text that only a {@code utf8mb4} session carries byte for byte. */
	private static final String TEXT_PROBE = "dedup-probe:'\\:\u00E9:\u4E2D:\uD83D\uDE00";

	/** The poll row of a key row {@code k}: its key, from the key row's owner, as SQL. */
	private static final String POLL_ROW_OF_K = "CONCAT(X'"
			+ HexFormat.of().formatHex(PollClaim.ROW_KEY_PREFIX.getBytes(StandardCharsets.UTF_8)) + "', k.owner)";

	/** A key row {@code k} that is not a poll's, or whose poll's row {@code p} is live. */
	private static final String LIVE_K = "((k.state <> 'P' AND k.expires_at > UTC_TIMESTAMP(3)) OR p.dedup_key IS NOT NULL)";

	private volatile boolean affectedRows;

	private volatile boolean textIsUtf8;

	MySqlTableSql(TableName table) {
		super(table);
	}

	@Override
	String now() {
		return "UTC_TIMESTAMP(3)";
	}

	/**
	 * The primary key, always: on a table whose statistics still say it is empty (new, or just emptied) the
	 * optimizer takes {@code expires_at > now} on the expiry index for the cheaper range, and reads every live
	 * row for each batch (the benchmark's server CPU per record for a poll's claim and mark: 36 µs with that
	 * plan, 23 with the hint).
	 */
	@Override
	String byPrimaryKey() {
		return this.table + " FORCE INDEX (PRIMARY)";
	}

	@Override
	String nowPlusMillis() {
		return "TIMESTAMPADD(MICROSECOND, ? * 1000, UTC_TIMESTAMP(3))";
	}

	@Override
	String remainingMillis() {
		return "TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(3), expires_at) DIV 1000";
	}

	/**
	 * Binds a key or owner as text when {@link #prepare} found that text reaches the server as exactly its
	 * UTF-8 bytes (a VARBINARY compared with a text value compares bytes), else as those bytes. Text is the
	 * cheaper of the two by far: mysql-connector-j sends bytes as a hex literal, and spelling out a poll's
	 * keys in hex took a third of the consumer thread.
	 */
	@Override
	void setText(PreparedStatement statement, int index, String value) throws SQLException {
		if (this.textIsUtf8) {
			statement.setString(index, value);
		}
		else {
			statement.setBytes(index, value.getBytes(StandardCharsets.UTF_8));
		}
	}

	@Override
	@Nullable
	String getText(ResultSet resultSet, int column) throws SQLException {
		byte[] bytes = resultSet.getBytes(column);
		return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
	}

	/**
	 * Learns two things of this DataSource's connections. Whether text travels as its UTF-8 bytes: the server
	 * compares a text parameter (ASCII, accents, CJK, a character outside the BMP, a quote and a backslash)
	 * cast to bytes with the same text's UTF-8 bytes, which only holds in a {@code utf8mb4} session. And
	 * whether they report affected rows or found rows: the same no-op upsert twice, in a transaction that is
	 * rolled back, on a key no {@code DedupKeys} key can equal (a NUL byte).
	 */
	@Override
	void prepare(Connection connection) throws SQLException {
		try (PreparedStatement statement = connection.prepareStatement("SELECT CAST(? AS BINARY) = ?")) {
			statement.setString(1, TEXT_PROBE);
			statement.setBytes(2, TEXT_PROBE.getBytes(StandardCharsets.UTF_8));
			try (ResultSet result = statement.executeQuery()) {
				this.textIsUtf8 = result.next() && result.getInt(1) == 1;
			}
		}
		byte[] probe = new byte[17];
		ThreadLocalRandom.current().nextBytes(probe);
		probe[0] = 0;
		String sql = "INSERT INTO " + this.table + " (dedup_key, state, owner, expires_at, result, created_at, "
				+ "updated_at) VALUES (?, 'D', NULL, UTC_TIMESTAMP(3), NULL, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3)) "
				+ "ON DUPLICATE KEY UPDATE state = state";
		boolean autoCommit = connection.getAutoCommit();
		connection.setAutoCommit(false);
		try (PreparedStatement statement = connection.prepareStatement(sql)) {
			statement.setBytes(1, probe);
			statement.executeUpdate();
			this.affectedRows = statement.executeUpdate() == 0;
		}
		finally {
			connection.rollback();
			connection.setAutoCommit(autoCommit);
		}
	}

	boolean usesAffectedRows() {
		return this.affectedRows;
	}

	boolean bindsTextAsText() {
		return this.textIsUtf8;
	}

	@Override
	@Nullable
	ClaimResult[] claim(Connection connection, List<String> keys, String owner, long leaseMillis,
			StepContext where) throws SQLException {
		if (keys.size() == 1 && this.affectedRows) {
			return new @Nullable ClaimResult[] { claimOne(connection, keys.get(0), owner, leaseMillis) };
		}
		boolean alone = where.ownTransaction() && connection.getAutoCommit();
		if (alone && insertAllNew(connection, keys, owner, leaseMillis, null)) {
			return allAcquired(keys.size()); // the common case: every key was new
		}
		return readUpsertRead(connection, keys, owner, leaseMillis, null);
	}

	/**
	 * The claim of keys not all new: reads them, upserts those without a live row (first deleting the rows
	 * of lapsed polls, and writing the poll's own row if it is not yet written), and reads those again to see
	 * which now carry this owner.
	 */
	private @Nullable ClaimResult[] readUpsertRead(Connection connection, List<String> keys, String owner,
			long leaseMillis, @Nullable PollClaim poll) throws SQLException {
		@Nullable ClaimResult[] answers = new @Nullable ClaimResult[keys.size()];
		Map<String, LiveRow> before = readLive(connection, keys, false);
		List<String> open = new ArrayList<>();
		for (int i = 0; i < keys.size(); i++) {
			LiveRow row = before.get(keys.get(i));
			if (row != null) {
				answers[i] = row.answer();
			}
			else {
				open.add(keys.get(i));
			}
		}
		if (open.isEmpty()) {
			return answers;
		}
		if (poll != null && !poll.rowWritten()) {
			insertPollRow(connection, poll, owner, leaseMillis);
			poll.markRowWritten();
		}
		forgetLapsedPollKeys(connection, open);
		if (poll == null) {
			upsert(connection, open, owner, leaseMillis, "C");
		}
		else {
			upsert(connection, open, owner, poll.keyRowMillis(), "P");
		}
		Map<String, LiveRow> after = readLive(connection, open, true);
		for (int i = 0; i < keys.size(); i++) {
			if (answers[i] == null) {
				LiveRow row = after.get(keys.get(i));
				answers[i] = row == null ? null : row.isConsumingBy(owner) ? ClaimResult.acquired() : row.answer();
			}
		}
		return answers;
	}

	@Override
	boolean keepsPolls() {
		return true;
	}

	/**
	 * As {@link #claim}, each key's row in state {@code P} under the poll's row, which holds the lease: for a
	 * poll of new ids, the key rows and the poll's row are one all-or-nothing INSERT. Otherwise the poll's
	 * row is written on its own, and the keys go through the read, upsert and read of {@link #claim}.
	 */
	@Override
	@Nullable
	ClaimResult[] claimPoll(Connection connection, List<String> keys, PollClaim poll, long leaseMillis)
			throws SQLException {
		String owner = poll.owner();
		if (connection.getAutoCommit() && insertAllNew(connection, keys, owner, leaseMillis, poll)) {
			poll.markRowWritten();
			return allAcquired(keys.size());
		}
		return readUpsertRead(connection, keys, owner, leaseMillis, poll);
	}

	private void insertPollRow(Connection connection, PollClaim poll, String owner, long leaseMillis)
			throws SQLException {
		String sql = "INSERT INTO " + this.table + " (dedup_key, state, owner, expires_at, result, created_at, "
				+ "updated_at) VALUES (?, 'C', ?, " + nowPlusMillis() + ", NULL, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))";
		try (PreparedStatement statement = connection.prepareStatement(sql)) {
			setText(statement, 1, poll.rowKey());
			setText(statement, 2, owner);
			statement.setLong(3, leaseMillis);
			statement.executeUpdate();
		}
	}

	/**
	 * Deletes the rows among {@code keys} of polls whose own row is gone or lapsed: they count as absent, but
	 * their own expiry (for the purge) may not have passed, so an upsert would leave them alone.
	 */
	private void forgetLapsedPollKeys(Connection connection, List<String> keys) throws SQLException {
		String sql = "DELETE k FROM " + this.table + " k LEFT JOIN " + this.table + " p ON p.dedup_key = "
				+ POLL_ROW_OF_K + " AND p.expires_at > UTC_TIMESTAMP(3) WHERE k.dedup_key IN ("
				+ placeholders(keys.size()) + ") AND k.state = 'P' AND p.dedup_key IS NULL";
		try (PreparedStatement statement = connection.prepareStatement(sql)) {
			for (int i = 0; i < keys.size(); i++) {
				setText(statement, i + 1, keys.get(i));
			}
			statement.executeUpdate();
		}
	}

	/** The fast path: one statement for a new key, a locking read only when a live row was left alone. */
	private @Nullable ClaimResult claimOne(Connection connection, String key, String owner, long leaseMillis)
			throws SQLException {
		if (upsert(connection, List.of(key), owner, leaseMillis, "C") > 0) {
			return ClaimResult.acquired();
		}
		LiveRow row = readLive(connection, List.of(key), true).get(key);
		if (row == null) {
			forgetLapsedPollKeys(connection, List.of(key)); // what the upsert left alone, for the retry
		}
		return row == null ? null : row.answer();
	}

	/**
	 * Inserts every key, or none: a plain INSERT, in auto-commit its own transaction, fails as a whole on the
	 * first key that has a row (live or expired), and InnoDB rolls the statement back. So one statement, with
	 * no transaction around it, is the whole claim of a poll whose ids are all new, in either counting mode.
	 * @return whether every key was inserted; false when some key had a row, and nothing was written
	 */
	private boolean insertAllNew(Connection connection, List<String> keys, String owner, long leaseMillis,
			@Nullable PollClaim poll) throws SQLException {
		boolean withPollRow = poll != null && !poll.rowWritten();
		String sql = "INSERT INTO " + this.table + " (dedup_key, state, owner, expires_at, result, created_at, "
				+ "updated_at) SELECT k, '" + (poll == null ? "C" : "P") + "', ?, " + nowPlusMillis()
				+ ", NULL, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3) FROM " + keysAsTable(keys.size())
				+ (withPollRow ? " UNION ALL SELECT ?, 'C', ?, " + nowPlusMillis()
						+ ", NULL, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3)" : "");
		try (PreparedStatement statement = connection.prepareStatement(sql)) {
			int index = 1;
			setText(statement, index++, owner);
			statement.setLong(index++, poll == null ? leaseMillis : poll.keyRowMillis());
			index = bindKeysAsTable(statement, index, keys);
			if (withPollRow) {
				setText(statement, index++, poll.rowKey());
				setText(statement, index++, owner);
				statement.setLong(index, leaseMillis);
			}
			return statement.executeUpdate() == keys.size() + (withPollRow ? 1 : 0);
		}
		catch (SQLException ex) {
			if (ex.getErrorCode() == ER_DUP_ENTRY) {
				return false;
			}
			throw ex;
		}
	}

	/**
	 * {@code count} keys as a table of one column, {@code k}: one JSON array of them in a {@code utf8mb4}
	 * session, else a derived table of one {@code UNION ALL SELECT ?} per key, bound as bytes. The JSON form
	 * is a short statement text that the driver parses in no time (mysql-connector-j parses the whole text on
	 * every prepare) and one parameter, and the server reads it with fewer temporary rows: for polls of 500
	 * keys it cost the client 1.5–1.8 µs per key against 2.5–3.6, and the server 7.2–8.2 against 8.2–9.8
	 * ({@code benchmarks/scripts/MySqlClaimForms.java}).
	 */
	private String keysAsTable(int count) {
		if (this.textIsUtf8) {
			return "JSON_TABLE(?, '$[*]' COLUMNS (k VARCHAR(" + StepArguments.MAX_KEY_LENGTH
					+ ") CHARACTER SET utf8mb4 PATH '$')) AS new_keys";
		}
		return "(SELECT ? AS k" + " UNION ALL SELECT ?".repeat(count - 1) + ") AS new_keys";
	}

	/** Binds {@code keys} for {@link #keysAsTable} from {@code index} on; returns the next index. */
	private int bindKeysAsTable(PreparedStatement statement, int index, List<String> keys) throws SQLException {
		if (this.textIsUtf8) {
			StringBuilder array = new StringBuilder(keys.size() * (keys.get(0).length() + 3) + 2).append('[');
			for (String key : keys) {
				if (array.length() > 1) {
					array.append(',');
				}
				array.append('"');
				JsonStringEncoder.getInstance().quoteAsString(key, array);
				array.append('"');
			}
			statement.setString(index, array.append(']').toString());
			return index + 1;
		}
		for (String key : keys) {
			setText(statement, index++, key);
		}
		return index;
	}

	/**
	 * Inserts the keys' rows, or takes over those that expired by their own expiry, in {@code state} for
	 * {@code millis} from now; leaves live rows, and rows of live or lapsed polls, alone.
	 */
	private int upsert(Connection connection, List<String> keys, String owner, long millis, String state)
			throws SQLException {
		String row = "(?, '" + state + "', ?, " + nowPlusMillis() + ", NULL, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))";
		// A key of a poll whose own expiry passed lives on while its poll's row does, so no upsert takes over
		// a P row (the rows of lapsed polls are deleted first). MySQL assigns left to right, each assignment
		// seeing those before it: for a single claim (state C) every condition is the same, expires_at last;
		// for a poll's claim the state becomes P, which would turn that condition false halfway, so the owner
		// goes first and the rest ask whether it is now the poll's (a poll's owner is new, in no other row).
		String expired = "expires_at <= UTC_TIMESTAMP(3) AND state <> 'P'";
		String taken = "P".equals(state) ? "owner <=> VALUES(owner)" : expired;
		String sql = "INSERT INTO " + this.table + " (dedup_key, state, owner, expires_at, result, created_at, "
				+ "updated_at) VALUES " + String.join(", ", Collections.nCopies(keys.size(), row))
				+ " ON DUPLICATE KEY UPDATE owner = IF(" + expired + ", VALUES(owner), owner), result = IF("
				+ taken + ", NULL, result), created_at = IF(" + taken + ", VALUES(created_at), created_at), "
				+ "updated_at = IF(" + taken + ", VALUES(updated_at), updated_at), state = IF(" + taken
				+ ", VALUES(state), state), expires_at = IF(" + taken + ", VALUES(expires_at), expires_at)";
		try (PreparedStatement statement = connection.prepareStatement(sql)) {
			int index = 1;
			for (String key : keys) {
				setText(statement, index++, key);
				setText(statement, index++, owner);
				statement.setLong(index++, millis);
			}
			return statement.executeUpdate();
		}
	}

	/**
	 * One UPDATE of the rows this owner holds; when it counts every key (the common case) that is the whole
	 * step. A multi-row UPDATE counts rows but not which, so when it counts fewer, a read says which: a batch
	 * mark keeps the owner on the CONSUMED row, so a row CONSUMED under this owner is one it marked, and a row
	 * another owner took over and completed is not. In the caller's transaction (no expiry check: its rows
	 * are locked by it) the read comes first, as there a statement must not be undone.
	 */
	@Override
	boolean[] completeAll(Connection connection, List<String> keys, String owner, long retentionMillis,
			StepContext where) throws SQLException {
		boolean[] answers = new boolean[keys.size()];
		if (where.ownTransaction()) {
			int marked = markConsumed(connection, keys, owner, retentionMillis, true);
			if (marked < keys.size()) {
				marked += markPollKeysConsumed(connection, keys, owner, retentionMillis);
			}
			if (marked == keys.size()) {
				Arrays.fill(answers, true);
				return answers;
			}
			Map<String, LiveRow> rows = readLive(connection, keys, false);
			for (int i = 0; i < keys.size(); i++) {
				LiveRow row = rows.get(keys.get(i));
				answers[i] = row != null && row.isConsumedBy(owner);
			}
			return answers;
		}
		Map<String, LiveRow> rows = readLive(connection, keys, true);
		List<String> owned = keys.stream().filter(key -> {
			LiveRow row = rows.get(key);
			return row != null && row.isConsumingBy(owner);
		}).toList();
		if (owned.isEmpty()) {
			return answers;
		}
		if (markConsumed(connection, owned, owner, retentionMillis, false) < owned.size()) {
			markPollKeysConsumed(connection, owned, owner, retentionMillis); // keys of a poll claimed before
		}
		Set<String> marked = new HashSet<>(owned);
		for (int i = 0; i < keys.size(); i++) {
			answers[i] = marked.contains(keys.get(i));
		}
		return answers;
	}

	/**
	 * Marks the rows of {@code keys} that this owner holds, keeping the owner on them (see {@link #completeAll});
	 * a multi-row UPDATE counts them but not which.
	 */
	private int markConsumed(Connection connection, List<String> keys, String owner, long retentionMillis,
			boolean checkExpiry) throws SQLException {
		String sql = "UPDATE " + byPrimaryKey() + " SET state = 'D', result = NULL, expires_at = "
				+ nowPlusMillis() + ", updated_at = UTC_TIMESTAMP(3) WHERE dedup_key IN ("
				+ placeholders(keys.size()) + ") AND state = 'C' AND owner = ?" + expiryCheck(checkExpiry);
		return mark(connection, sql, keys, owner, retentionMillis);
	}

	/** Runs a multi-row mark whose parameters are the retention, the keys and the owner; returns its count. */
	private int mark(Connection connection, String sql, List<String> keys, String owner, long retentionMillis)
			throws SQLException {
		try (PreparedStatement statement = connection.prepareStatement(sql)) {
			statement.setLong(1, retentionMillis);
			for (int i = 0; i < keys.size(); i++) {
				setText(statement, i + 2, keys.get(i));
			}
			setText(statement, keys.size() + 2, owner);
			return statement.executeUpdate();
		}
	}

	/**
	 * Marks the rows of {@code keys} that are keys of this owner's poll, while the poll's row is CONSUMING and
	 * live, one row each (the poll's row stays CONSUMING, and lapses); keeps the owner on them, as
	 * {@link #markConsumed} does.
	 */
	private int markPollKeysConsumed(Connection connection, List<String> keys, String owner, long retentionMillis)
			throws SQLException {
		String sql = "UPDATE " + this.table + " k FORCE INDEX (PRIMARY)" + pollRowJoin(true) + " SET k.state = 'D', "
				+ "k.result = NULL, k.expires_at = " + nowPlusMillis() + ", k.updated_at = UTC_TIMESTAMP(3) "
				+ "WHERE k.dedup_key IN (" + placeholders(keys.size()) + ") AND k.state = 'P' AND k.owner = ? "
				+ "AND p.dedup_key IS NOT NULL";
		return mark(connection, sql, keys, owner, retentionMillis);
	}

	/**
	 * With affected rows, a renewal that lands in the same millisecond as the last one changes nothing and
	 * counts 0; a locking read tells that apart from a lost lease. A key of a poll renews its poll's row.
	 */
	@Override
	boolean renew(Connection connection, String key, String owner, long leaseMillis) throws SQLException {
		if (super.renew(connection, key, owner, leaseMillis)) {
			return true;
		}
		String sql = "UPDATE " + this.table + " p JOIN " + this.table + " k ON k.dedup_key = ? AND k.state = 'P' "
				+ "AND k.owner = p.owner SET p.expires_at = " + nowPlusMillis() + ", p.updated_at = UTC_TIMESTAMP(3) "
				+ "WHERE p.dedup_key = ? AND p.state = 'C' AND p.expires_at > UTC_TIMESTAMP(3)";
		try (PreparedStatement statement = connection.prepareStatement(sql)) {
			setText(statement, 1, key);
			statement.setLong(2, leaseMillis);
			setText(statement, 3, PollClaim.rowKey(owner));
			if (statement.executeUpdate() == 1) {
				return true;
			}
		}
		LiveRow row = readLive(connection, List.of(key), true).get(key);
		return row != null && row.isConsumingBy(owner);
	}

	@Override
	String completePollKeySql() {
		return "UPDATE " + this.table + " k" + pollRowJoin(true) + " SET k.state = 'D', k.owner = NULL, "
				+ "k.result = ?, k.expires_at = " + nowPlusMillis() + ", k.updated_at = UTC_TIMESTAMP(3) "
				+ "WHERE k.dedup_key = ? AND k.state = 'P' AND k.owner = ? AND p.dedup_key IS NOT NULL";
	}

	@Override
	String releasePollKeySql() {
		return "DELETE k FROM " + this.table + " k" + pollRowJoin(true) + " WHERE k.dedup_key = ? "
				+ "AND k.state = 'P' AND k.owner = ? AND p.dedup_key IS NOT NULL";
	}

	/**
	 * The live rows among {@code keys}, a key of a poll with its poll row's state and remaining time (absent
	 * when that row is gone or lapsed).
	 */
	@Override
	Map<String, LiveRow> readLive(Connection connection, List<String> keys, boolean lock) throws SQLException {
		String sql = "SELECT k.dedup_key, IF(k.state = 'P', p.state, k.state), k.owner, k.result, "
				+ "TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(3), IF(k.state = 'P', p.expires_at, k.expires_at)) DIV 1000 "
				+ "FROM " + this.table + " k FORCE INDEX (PRIMARY)" + pollRowJoin(false) + " WHERE k.dedup_key IN ("
				+ placeholders(keys.size()) + ") AND " + LIVE_K + (lock ? " FOR UPDATE" : "");
		try (PreparedStatement statement = connection.prepareStatement(sql)) {
			for (int i = 0; i < keys.size(); i++) {
				setText(statement, i + 1, keys.get(i));
			}
			try (ResultSet rows = statement.executeQuery()) {
				return liveRows(rows);
			}
		}
	}

	/** The live poll row {@code p} of a key row {@code k} of a poll; with {@code consuming}, a CONSUMING one. */
	private String pollRowJoin(boolean consuming) {
		return " LEFT JOIN " + this.table + " p ON k.state = 'P' AND p.dedup_key = " + POLL_ROW_OF_K
				+ (consuming ? " AND p.state = 'C'" : "") + " AND p.expires_at > UTC_TIMESTAMP(3)";
	}

	/**
	 * Deletes expired rows: first those of no poll, in one statement; then keys of polls whose poll row is
	 * gone or lapsed (their own expiry only says when to look: a poll CONSUMED or still running keeps them).
	 */
	@Override
	int purge(Connection connection, int limit) throws SQLException {
		int deleted;
		try (PreparedStatement statement = connection.prepareStatement("DELETE FROM " + this.table
				+ " WHERE expires_at <= UTC_TIMESTAMP(3) AND state <> 'P' LIMIT ?")) {
			statement.setInt(1, limit);
			deleted = statement.executeUpdate();
		}
		if (deleted >= limit) {
			return deleted;
		}
		List<String> lapsed = new ArrayList<>();
		try (PreparedStatement statement = connection.prepareStatement("SELECT k.dedup_key FROM " + this.table
				+ " k" + pollRowJoin(false) + " WHERE k.state = 'P' "
				+ "AND k.expires_at <= UTC_TIMESTAMP(3) AND p.dedup_key IS NULL LIMIT ?")) {
			statement.setInt(1, limit - deleted);
			try (ResultSet rows = statement.executeQuery()) {
				while (rows.next()) {
					lapsed.add(getText(rows, 1));
				}
			}
		}
		// A poll row never comes back once gone or lapsed; a key taken over since has a new expiry.
		for (List<String> chunk : StepArguments.chunks(lapsed)) {
			try (PreparedStatement statement = connection.prepareStatement("DELETE FROM " + this.table
					+ " WHERE dedup_key IN (" + placeholders(chunk.size()) + ") AND expires_at <= UTC_TIMESTAMP(3)")) {
				for (int i = 0; i < chunk.size(); i++) {
					setText(statement, i + 1, chunk.get(i));
				}
				deleted += statement.executeUpdate();
			}
		}
		return deleted;
	}

}
