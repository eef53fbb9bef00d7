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
 * MySQL 8 and MariaDB 10.11. Keys and owners are {@code VARBINARY} (bound as UTF-8 bytes: byte-exact, no
 * collation, no trailing-space padding), times are {@code DATETIME(3)} in UTC from
 * {@code UTC_TIMESTAMP(3)}, so the session time zone never matters.
 *
 * <p>The claim is one {@code INSERT … ON DUPLICATE KEY UPDATE} whose update half only takes over a row that
 * has expired (each assignment is conditional, {@code expires_at} last because MySQL assigns left to right).
 * With affected-rows semantics (mysql-connector-j or MariaDB Connector/J with {@code useAffectedRows=true})
 * its count says what happened: 1 inserted, 2 taken over, 0 a live row left alone, which a locking read
 * then reports. The drivers' default is found-rows semantics, where a live row left alone also counts 1,
 * like an insert; {@link #prepare} detects which one the connections use, and with found rows (and for
 * batches, whose count is a sum) the claim reads the keys first, upserts only the absent or expired ones,
 * and reads those again to see which now carry its owner. A batch with affected rows first tries an
 * insert that leaves existing rows alone: when it counts every key, all were new and that one statement
 * is the whole claim. Completing a batch likewise tries one UPDATE, and reads which rows it holds only
 * when the UPDATE counts fewer than asked.
 */
final class MySqlTableSql extends TableSql {

	private volatile boolean affectedRows;

	MySqlTableSql(TableName table) {
		super(table);
	}

	@Override
	String now() {
		return "UTC_TIMESTAMP(3)";
	}

	@Override
	String nowPlusMillis() {
		return "TIMESTAMPADD(MICROSECOND, ? * 1000, UTC_TIMESTAMP(3))";
	}

	@Override
	String remainingMillis() {
		return "TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(3), expires_at) DIV 1000";
	}

	@Override
	void setText(PreparedStatement statement, int index, String value) throws SQLException {
		statement.setBytes(index, value.getBytes(StandardCharsets.UTF_8));
	}

	@Override
	@Nullable
	String getText(ResultSet resultSet, int column) throws SQLException {
		byte[] bytes = resultSet.getBytes(column);
		return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
	}

	/**
	 * Learns whether this DataSource's connections report affected rows or found rows: the same no-op upsert
	 * twice, in a transaction that is rolled back, on a key no {@code DedupKeys} key can equal (a NUL byte).
	 */
	@Override
	void prepare(Connection connection) throws SQLException {
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

	@Override
	@Nullable
	ClaimResult[] claim(Connection connection, List<String> keys, String owner, long leaseMillis,
			StepContext where) throws SQLException {
		if (keys.size() == 1 && this.affectedRows) {
			return new @Nullable ClaimResult[] { claimOne(connection, keys.get(0), owner, leaseMillis) };
		}
		@Nullable ClaimResult[] answers = new @Nullable ClaimResult[keys.size()];
		if (this.affectedRows && where.ownTransaction()) {
			if (insertNew(connection, keys, owner, leaseMillis) == keys.size()) {
				Arrays.fill(answers, ClaimResult.acquired()); // the common case: every key was new
				return answers;
			}
			connection.rollback(); // some key had a row: start over with reads that tell each case apart
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
	 * Inserts the keys that have no row at all and leaves every existing row as it is (its "update" sets a
	 * column to its own value). With affected rows each insert counts 1 and each existing row 0, so the
	 * count equals the number of keys exactly when all were new: one statement for a fresh poll.
	 */
	private int insertNew(Connection connection, List<String> keys, String owner, long leaseMillis)
			throws SQLException {
		// The keys come as a derived table, one short "UNION ALL SELECT ?" each: the driver parses the
		// statement text on every prepare, and a full VALUES row per key made that text five times longer.
		String sql = "INSERT INTO " + this.table + " (dedup_key, state, owner, expires_at, result, created_at, "
				+ "updated_at) SELECT k, 'C', ?, " + nowPlusMillis() + ", NULL, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3) "
				+ "FROM (SELECT ? AS k" + " UNION ALL SELECT ?".repeat(keys.size() - 1) + ") AS new_keys "
				+ "ON DUPLICATE KEY UPDATE dedup_key = " + this.table + ".dedup_key";
		try (PreparedStatement statement = connection.prepareStatement(sql)) {
			setText(statement, 1, owner);
			statement.setLong(2, leaseMillis);
			for (int i = 0; i < keys.size(); i++) {
				setText(statement, i + 3, keys.get(i));
			}
			return statement.executeUpdate();
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
	 * A locking read of the rows this owner may complete, then one UPDATE of exactly those: the sum that a
	 * multi-row UPDATE reports cannot say which rows it changed.
	 */
	@Override
	boolean[] completeAll(Connection connection, List<String> keys, String owner, long retentionMillis,
			StepContext where) throws SQLException {
		boolean[] answers = new boolean[keys.size()];
		// Never in the caller's transaction, which must not be rolled back from here.
		if (where.ownTransaction() && !connection.getAutoCommit()) {
			if (markConsumed(connection, keys, owner, retentionMillis, true) == keys.size()) {
				Arrays.fill(answers, true); // the common case: every lease still held
				return answers;
			}
			connection.rollback(); // some lease was lost: redo it with a read that says which
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

	/** Marks the rows of {@code keys} that this owner holds; a multi-row UPDATE counts them but not which. */
	private int markConsumed(Connection connection, List<String> keys, String owner, long retentionMillis,
			boolean checkExpiry) throws SQLException {
		String sql = "UPDATE " + this.table + " SET state = 'D', owner = NULL, result = NULL, expires_at = "
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

	/** A batch tries {@link #insertNew} first, and rolls it back when some key already had a row. */
	@Override
	boolean claimIsMultiStatement(int keys) {
		return keys > 1 && this.affectedRows;
	}

	@Override
	boolean completeAllIsMultiStatement() {
		return true;
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
