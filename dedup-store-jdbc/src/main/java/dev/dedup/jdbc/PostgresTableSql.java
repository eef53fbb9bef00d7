package dev.dedup.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
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
 * <p>The claim is one statement when every key is new: {@code INSERT … ON CONFLICT DO UPDATE … WHERE expired
 * RETURNING} says which keys this call inserted or took over. Only when it returns fewer keys than asked does
 * a second statement read the other keys' rows (measured with {@code psql}: reading them in the same
 * statement, as a CTE did before, cost the machine 6–26 µs more per key, claim and mark, with every key
 * new). ON CONFLICT never raises a duplicate-key error, so it never aborts the caller's transaction. A row
 * that a concurrent release or expiry removes between the two statements is not found by the read; that key
 * answers null and the store runs the claim again.
 */
final class PostgresTableSql extends TableSql {

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
		Set<String> acquired = insertOrTakeOver(connection, keys, owner, leaseMillis);
		@Nullable ClaimResult[] answers = new @Nullable ClaimResult[keys.size()];
		if (acquired.size() == keys.size()) {
			Arrays.fill(answers, ClaimResult.acquired()); // the common case: every key was new
			return answers;
		}
		List<String> found = keys.stream().filter(key -> !acquired.contains(key)).toList();
		Map<String, LiveRow> live = readLive(connection, found, false);
		for (int i = 0; i < keys.size(); i++) {
			String key = keys.get(i);
			LiveRow row = live.get(key);
			answers[i] = acquired.contains(key) ? ClaimResult.acquired() : row == null ? null : row.answer();
		}
		return answers;
	}

	/** Inserts the absent keys and takes over the expired ones; returns which keys it took. */
	private Set<String> insertOrTakeOver(Connection connection, List<String> keys, String owner, long leaseMillis)
			throws SQLException {
		String sql = "INSERT INTO " + this.table + " AS d (dedup_key, state, owner, expires_at, result, created_at, "
				+ "updated_at) SELECT k, 'C', ?, " + nowPlusMillis()
				+ ", NULL, statement_timestamp(), statement_timestamp() FROM unnest(CAST(? AS TEXT[])) AS k "
				+ "ON CONFLICT (dedup_key) DO UPDATE SET state = 'C', owner = EXCLUDED.owner, "
				+ "expires_at = EXCLUDED.expires_at, result = NULL, created_at = EXCLUDED.created_at, "
				+ "updated_at = EXCLUDED.updated_at WHERE d.expires_at <= statement_timestamp() "
				+ "RETURNING d.dedup_key";
		Set<String> acquired = new HashSet<>();
		try (PreparedStatement statement = connection.prepareStatement(sql)) {
			statement.setString(1, owner);
			statement.setLong(2, leaseMillis);
			statement.setArray(3, connection.createArrayOf("text", keys.toArray()));
			try (ResultSet rows = statement.executeQuery()) {
				while (rows.next()) {
					acquired.add(rows.getString(1));
				}
			}
		}
		return acquired;
	}

	@Override
	boolean[] completeAll(Connection connection, List<String> keys, String owner, long retentionMillis,
			StepContext where) throws SQLException {
		String sql = "UPDATE " + this.table + " SET state = 'D', owner = NULL, result = NULL, expires_at = "
				+ nowPlusMillis() + ", updated_at = statement_timestamp() WHERE dedup_key = ANY(CAST(? AS TEXT[])) "
				+ "AND state = 'C' AND owner = ?" + expiryCheck(where) + " RETURNING dedup_key";
		Set<String> completed = new HashSet<>();
		try (PreparedStatement statement = connection.prepareStatement(sql)) {
			statement.setLong(1, retentionMillis);
			statement.setArray(2, connection.createArrayOf("text", keys.toArray()));
			statement.setString(3, owner);
			try (ResultSet rows = statement.executeQuery()) {
				while (rows.next()) {
					completed.add(rows.getString(1));
				}
			}
		}
		boolean[] answers = new boolean[keys.size()];
		for (int i = 0; i < keys.size(); i++) {
			answers[i] = completed.contains(keys.get(i));
		}
		return answers;
	}

	@Override
	Map<String, LiveRow> readLive(Connection connection, List<String> keys, boolean lock) throws SQLException {
		String sql = "SELECT dedup_key, state, owner, result, " + remainingMillis() + " FROM " + this.table
				+ " WHERE dedup_key = ANY(CAST(? AS TEXT[])) AND expires_at > statement_timestamp()"
				+ (lock ? " FOR UPDATE" : "");
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
		String sql = "DELETE FROM " + this.table + " WHERE dedup_key IN (SELECT dedup_key FROM " + this.table
				+ " WHERE expires_at <= statement_timestamp() LIMIT ? FOR UPDATE SKIP LOCKED) "
				+ "AND expires_at <= statement_timestamp()";
		try (PreparedStatement statement = connection.prepareStatement(sql)) {
			statement.setInt(1, limit);
			return statement.executeUpdate();
		}
	}

}
