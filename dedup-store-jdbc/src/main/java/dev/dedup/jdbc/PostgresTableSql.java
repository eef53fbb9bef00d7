package dev.dedup.jdbc;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
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
 * <p>The claim is one statement: {@code INSERT … ON CONFLICT DO UPDATE … WHERE expired RETURNING} in a CTE
 * says which keys this call inserted or took over, and the outer SELECT reads the other keys' rows as they
 * were when the statement started. ON CONFLICT never raises a duplicate-key error, so it never aborts the
 * caller's transaction. A row committed by a concurrent claim after the statement's snapshot is neither
 * returned nor visible; that key answers null and the store runs the claim again.
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
		String sql = "WITH acquired AS (INSERT INTO " + this.table + " AS d (dedup_key, state, owner, expires_at, "
				+ "result, created_at, updated_at) SELECT k, 'C', ?, " + nowPlusMillis()
				+ ", NULL, statement_timestamp(), statement_timestamp() FROM unnest(CAST(? AS TEXT[])) AS k "
				+ "ON CONFLICT (dedup_key) DO UPDATE SET state = 'C', owner = EXCLUDED.owner, "
				+ "expires_at = EXCLUDED.expires_at, result = NULL, created_at = EXCLUDED.created_at, "
				+ "updated_at = EXCLUDED.updated_at WHERE d.expires_at <= statement_timestamp() "
				+ "RETURNING d.dedup_key) "
				+ "SELECT dedup_key, CAST('A' AS CHAR(1)), CAST(NULL AS VARCHAR), CAST(NULL AS BYTEA), "
				+ "CAST(0 AS BIGINT) FROM acquired UNION ALL SELECT dedup_key, state, owner, result, "
				+ remainingMillis() + " FROM " + this.table + " WHERE dedup_key = ANY(CAST(? AS TEXT[])) "
				+ "AND expires_at > statement_timestamp() AND dedup_key NOT IN (SELECT dedup_key FROM acquired)";
		Set<String> acquired = new HashSet<>();
		Map<String, LiveRow> live;
		try (PreparedStatement statement = connection.prepareStatement(sql)) {
			Array array = connection.createArrayOf("text", keys.toArray());
			statement.setString(1, owner);
			statement.setLong(2, leaseMillis);
			statement.setArray(3, array);
			statement.setArray(4, array);
			try (ResultSet rows = statement.executeQuery()) {
				live = new java.util.HashMap<>();
				while (rows.next()) {
					String key = rows.getString(1);
					if ("A".equals(rows.getString(2))) {
						acquired.add(key);
					}
					else {
						live.put(key, new LiveRow(rows.getString(2).trim(), rows.getString(3), rows.getBytes(4),
								rows.getLong(5)));
					}
				}
			}
		}
		@Nullable ClaimResult[] answers = new @Nullable ClaimResult[keys.size()];
		for (int i = 0; i < keys.size(); i++) {
			String key = keys.get(i);
			LiveRow row = live.get(key);
			answers[i] = acquired.contains(key) ? ClaimResult.acquired() : row == null ? null : row.answer();
		}
		return answers;
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
