package dev.dedup.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;

import org.jspecify.annotations.Nullable;

import dev.dedup.core.store.ClaimResult;

/**
 * H2 2.x, in the same process or over TCP. The claim is one {@code MERGE … WHEN MATCHED AND expired THEN
 * UPDATE … WHEN NOT MATCHED THEN INSERT}: count 1 means inserted or taken over. Two MERGEs racing for an
 * absent key may both choose INSERT; the loser gets a duplicate-key error (which, unlike PostgreSQL, does
 * not abort a transaction in H2) and reads the winner's row instead. Batches run key by key on one
 * connection: H2 is embedded or local, so there are no round trips to save.
 */
final class H2TableSql extends TableSql {

	private static final String DUPLICATE_KEY = "23505";

	H2TableSql(TableName table) {
		super(table);
	}

	@Override
	String now() {
		return "CURRENT_TIMESTAMP(3)";
	}

	@Override
	String nowPlusMillis() {
		return "DATEADD(MILLISECOND, ?, CURRENT_TIMESTAMP(3))";
	}

	/** Not DATEDIFF: on TIMESTAMP WITH TIME ZONE it ignores the offsets, so sessions in other zones disagree. */
	@Override
	String remainingMillis() {
		return "CAST((EXTRACT(EPOCH FROM expires_at) - EXTRACT(EPOCH FROM CURRENT_TIMESTAMP(3))) * 1000 AS BIGINT)";
	}

	@Override
	@Nullable
	ClaimResult[] claim(Connection connection, List<String> keys, String owner, long leaseMillis,
			StepContext where)
			throws SQLException {
		@Nullable ClaimResult[] answers = new @Nullable ClaimResult[keys.size()];
		for (int i = 0; i < keys.size(); i++) {
			String key = keys.get(i);
			if (merge(connection, key, owner, leaseMillis)) {
				answers[i] = ClaimResult.acquired();
			}
			else {
				LiveRow row = readLive(connection, List.of(key), false).get(key);
				answers[i] = row == null ? null : row.answer();
			}
		}
		return answers;
	}

	private boolean merge(Connection connection, String key, String owner, long leaseMillis) throws SQLException {
		String sql = "MERGE INTO " + this.table + " d USING (VALUES (CAST(? AS VARCHAR(512)))) s(k) "
				+ "ON d.dedup_key = s.k WHEN MATCHED AND d.expires_at <= CURRENT_TIMESTAMP(3) THEN UPDATE SET "
				+ "state = 'C', owner = ?, expires_at = " + nowPlusMillis() + ", result = NULL, "
				+ "created_at = CURRENT_TIMESTAMP(3), updated_at = CURRENT_TIMESTAMP(3) WHEN NOT MATCHED THEN "
				+ "INSERT (dedup_key, state, owner, expires_at, result, created_at, updated_at) VALUES (s.k, 'C', ?, "
				+ nowPlusMillis() + ", NULL, CURRENT_TIMESTAMP(3), CURRENT_TIMESTAMP(3))";
		try (PreparedStatement statement = connection.prepareStatement(sql)) {
			statement.setString(1, key);
			statement.setString(2, owner);
			statement.setLong(3, leaseMillis);
			statement.setString(4, owner);
			statement.setLong(5, leaseMillis);
			return statement.executeUpdate() == 1;
		}
		catch (SQLException ex) {
			if (DUPLICATE_KEY.equals(ex.getSQLState())) {
				return false;
			}
			throw ex;
		}
	}

	@Override
	boolean[] completeAll(Connection connection, List<String> keys, String owner, long retentionMillis,
			StepContext where) throws SQLException {
		boolean[] answers = new boolean[keys.size()];
		for (int i = 0; i < keys.size(); i++) {
			answers[i] = complete(connection, keys.get(i), owner, retentionMillis, null, where);
		}
		return answers;
	}

	@Override
	int purge(Connection connection, int limit) throws SQLException {
		try (PreparedStatement statement = connection.prepareStatement("DELETE FROM " + this.table
				+ " WHERE expires_at <= CURRENT_TIMESTAMP(3) FETCH FIRST ? ROWS ONLY")) {
			statement.setInt(1, limit);
			return statement.executeUpdate();
		}
	}

}
