package dev.dedup.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.util.concurrent.Executor;

import javax.sql.DataSource;

import org.springframework.jdbc.datasource.ConnectionHolder;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Where a store step runs: on the caller's transaction's connection (transactional mode, when one is
 * active on this DataSource), or on a connection of its own that commits at once.
 * <p>
 * On a connection of its own a step has a deadline: the driver's network timeout (a socket read timeout,
 * which also catches a database that hangs without closing the connection) is set to the store timeout for
 * the step and put back afterwards. On the caller's transaction's connection it is left alone: there a
 * claim may wait on the row lock of a concurrent transaction for as long as that runs, by design, and the
 * transaction's own timeout governs.
 */
final class Connections {

	/** Runs the driver's abort of a timed-out connection on the thread that notices the timeout. */
	private static final Executor DIRECT = Runnable::run;

	private final DataSource dataSource;

	private final int timeoutMillis;

	Connections(DataSource dataSource, Duration timeout) {
		this.dataSource = dataSource;
		this.timeoutMillis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
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

	/** The deadline in whole seconds, rounded up, for the JDBC calls that take seconds ({@code isValid}). */
	int timeoutSeconds() {
		return (int) Math.max(1, (this.timeoutMillis + 999L) / 1000);
	}

	/**
	 * Runs {@code work} on the transaction's connection when {@code mayJoin} and one is active; otherwise on a
	 * connection of its own, as the pool hands it out: in auto-commit each statement commits at once (the
	 * steps are written so that each statement is safe on its own); with auto-commit off the work is
	 * committed before the connection goes back to the pool, and rolled back when it fails.
	 */
	<T> T run(boolean mayJoin, Work<T> work) throws SQLException {
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
			int previousTimeout = networkTimeout(connection);
			if (previousTimeout >= 0) {
				connection.setNetworkTimeout(DIRECT, this.timeoutMillis);
			}
			try {
				return runOwn(connection, work);
			}
			finally {
				if (previousTimeout >= 0 && !connection.isClosed()) {
					connection.setNetworkTimeout(DIRECT, previousTimeout);
				}
			}
		}
	}

	private static <T> T runOwn(Connection connection, Work<T> work) throws SQLException {
		if (connection.getAutoCommit()) {
			return work.run(connection);
		}
		try {
			T result = work.run(connection);
			connection.commit();
			return result;
		}
		catch (SQLException | RuntimeException ex) {
			rollbackQuietly(connection, ex);
			throw ex;
		}
	}

	/** The connection's network timeout, or -1 if the driver has none (H2 embedded). */
	private static int networkTimeout(Connection connection) throws SQLException {
		try {
			return connection.getNetworkTimeout();
		}
		catch (SQLFeatureNotSupportedException ex) {
			return -1;
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
