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
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

import org.jspecify.annotations.Nullable;

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
 */
final class MySqlTableSql extends TableSql {

	/** MySQL's and MariaDB's error code for a duplicate key. */
	private static final int ER_DUP_ENTRY = 1062;

	/** Text that only a {@code utf8mb4} session carries byte for byte. */
	private static final String TEXT_PROBE = "dedup-probe:'\\:\u00E9:\u4E2D:\uD83D\uDE00";

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
		@Nullable ClaimResult[] answers = new @Nullable ClaimResult[keys.size()];
		boolean alone = where.ownTransaction() && connection.getAutoCommit();
		if (alone && insertAllNew(connection, keys, owner, leaseMillis)) {
			Arrays.fill(answers, ClaimResult.acquired()); // the common case: every key was new
			return answers;
		}
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
		upsert(connection, open, owner, leaseMillis);
		Map<String, LiveRow> after = readLive(connection, open, true);
		for (int i = 0; i < keys.size(); i++) {
			if (answers[i] == null) {
				LiveRow row = after.get(keys.get(i));
				answers[i] = row == null ? null : row.isConsumingBy(owner) ? ClaimResult.acquired() : row.answer();
			}
		}
		return answers;
	}

	/** The fast path: one statement for a new key, a locking read only when a live row was left alone. */
	private @Nullable ClaimResult claimOne(Connection connection, String key, String owner, long leaseMillis)
			throws SQLException {
		if (upsert(connection, List.of(key), owner, leaseMillis) > 0) {
			return ClaimResult.acquired();
		}
		LiveRow row = readLive(connection, List.of(key), true).get(key);
		return row == null ? null : row.answer();
	}

	/**
	 * Inserts every key, or none: a plain INSERT, in auto-commit its own transaction, fails as a whole on the
	 * first key that has a row (live or expired), and InnoDB rolls the statement back. So one statement, with
	 * no transaction around it, is the whole claim of a poll whose ids are all new, in either counting mode.
	 * @return whether every key was inserted; false when some key had a row, and nothing was written
	 */
	private boolean insertAllNew(Connection connection, List<String> keys, String owner, long leaseMillis)
			throws SQLException {
		// The keys come as a derived table, one short "UNION ALL SELECT ?" each: the driver parses the
		// statement text on every prepare, and a full VALUES row per key made that text five times longer.
		String sql = "INSERT INTO " + this.table + " (dedup_key, state, owner, expires_at, result, created_at, "
				+ "updated_at) SELECT k, 'C', ?, " + nowPlusMillis() + ", NULL, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3) "
				+ "FROM (SELECT ? AS k" + " UNION ALL SELECT ?".repeat(keys.size() - 1) + ") AS new_keys";
		try (PreparedStatement statement = connection.prepareStatement(sql)) {
			setText(statement, 1, owner);
			statement.setLong(2, leaseMillis);
			for (int i = 0; i < keys.size(); i++) {
				setText(statement, i + 3, keys.get(i));
			}
			return statement.executeUpdate() == keys.size();
		}
		catch (SQLException ex) {
			if (ex.getErrorCode() == ER_DUP_ENTRY) {
				return false;
			}
			throw ex;
		}
	}

	private int upsert(Connection connection, List<String> keys, String owner, long leaseMillis)
			throws SQLException {
		String row = "(?, 'C', ?, " + nowPlusMillis() + ", NULL, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))";
		String expired = "expires_at <= UTC_TIMESTAMP(3)";
		String sql = "INSERT INTO " + this.table + " (dedup_key, state, owner, expires_at, result, created_at, "
				+ "updated_at) VALUES " + String.join(", ", Collections.nCopies(keys.size(), row))
				+ " ON DUPLICATE KEY UPDATE owner = IF(" + expired + ", VALUES(owner), owner), result = IF("
				+ expired + ", NULL, result), created_at = IF(" + expired + ", VALUES(created_at), created_at), "
				+ "updated_at = IF(" + expired + ", VALUES(updated_at), updated_at), state = IF(" + expired
				+ ", 'C', state), expires_at = IF(" + expired + ", VALUES(expires_at), expires_at)";
		try (PreparedStatement statement = connection.prepareStatement(sql)) {
			int index = 1;
			for (String key : keys) {
				setText(statement, index++, key);
				setText(statement, index++, owner);
				statement.setLong(index++, leaseMillis);
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
			if (markConsumed(connection, keys, owner, retentionMillis, true) == keys.size()) {
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
		markConsumed(connection, owned, owner, retentionMillis, false);
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
	 * With affected rows, a renewal that lands in the same millisecond as the last one changes nothing and
	 * counts 0; a locking read tells that apart from a lost lease.
	 */
	@Override
	boolean renew(Connection connection, String key, String owner, long leaseMillis) throws SQLException {
		if (super.renew(connection, key, owner, leaseMillis)) {
			return true;
		}
		LiveRow row = readLive(connection, List.of(key), true).get(key);
		return row != null && row.isConsumingBy(owner);
	}

	@Override
	int purge(Connection connection, int limit) throws SQLException {
		try (PreparedStatement statement = connection
			.prepareStatement("DELETE FROM " + this.table + " WHERE expires_at <= UTC_TIMESTAMP(3) LIMIT ?")) {
			statement.setInt(1, limit);
			return statement.executeUpdate();
		}
	}

}
