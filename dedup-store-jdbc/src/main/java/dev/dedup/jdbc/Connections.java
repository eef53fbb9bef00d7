package dev.dedup.jdbc;

import java.sql.Connection;
import java.sql.SQLException;

import javax.sql.DataSource;

import org.springframework.jdbc.datasource.ConnectionHolder;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Where a store step runs: on the caller's transaction's connection (transactional mode, when one is
 * active on this DataSource), or on a connection of its own that commits at once.
 */
final class Connections {

	private final DataSource dataSource;

	Connections(DataSource dataSource) {
		this.dataSource = dataSource;
	}

	/**
	 * Whether this thread runs a real transaction on this DataSource. A connection that Spring merely bound
	 * for synchronization (JdbcTemplate inside, say, a Kafka-only transaction) is in auto-commit and does not
	 * count: joining it would commit each statement anyway.
	 */
	boolean inTransaction() {
		if (!TransactionSynchronizationManager.isActualTransactionActive()) {
			return false;
		}
		if (!(TransactionSynchronizationManager.getResource(this.dataSource) instanceof ConnectionHolder holder)) {
			return false;
		}
		try {
			return !holder.getConnection().getAutoCommit();
		}
		catch (SQLException | RuntimeException ex) {
			return false;
		}
	}

	/**
	 * Runs {@code work} on the transaction's connection when {@code mayJoin} and one is active; otherwise on a
	 * connection of its own, in a transaction of its own when {@code multiStatement}, committed before the
	 * connection goes back to the pool (also when the pool hands out connections with auto-commit off).
	 */
	<T> T run(boolean mayJoin, boolean multiStatement, Work<T> work) throws SQLException {
		if (mayJoin && inTransaction()) {
			Connection connection = DataSourceUtils.getConnection(this.dataSource);
			try {
				return work.run(connection);
			}
			finally {
				DataSourceUtils.releaseConnection(connection, this.dataSource);
			}
		}
		try (Connection connection = this.dataSource.getConnection()) {
			boolean autoCommit = connection.getAutoCommit();
			if (multiStatement && autoCommit) {
				connection.setAutoCommit(false);
			}
			try {
				T result = work.run(connection);
				if (!connection.getAutoCommit()) {
					connection.commit();
				}
				return result;
			}
			catch (SQLException | RuntimeException ex) {
				if (!connection.getAutoCommit()) {
					rollbackQuietly(connection, ex);
				}
				throw ex;
			}
			finally {
				if (connection.getAutoCommit() != autoCommit) {
					connection.setAutoCommit(autoCommit);
				}
			}
		}
	}

	private static void rollbackQuietly(Connection connection, Exception cause) {
		try {
			connection.rollback();
		}
		catch (SQLException ex) {
			cause.addSuppressed(ex);
		}
	}

	@FunctionalInterface
	interface Work<T> {

		T run(Connection connection) throws SQLException;

	}

}
