package dev.dedup.jdbc.autoconfigure;

import java.time.Duration;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

import dev.dedup.jdbc.JdbcDialect;

/**
 * Settings of the JDBC dedup store ({@code dedup.jdbc.*}), used when {@code dedup.store=jdbc}.
 */
@ConfigurationProperties("dedup.jdbc")
public class JdbcDedupProperties {

	/**
	 * Name of the dedup table: letters, digits and underscores, at most 48 characters. Anything else fails
	 * at startup. Flyway's history for it is kept in {table-name}_schema_history.
	 */
	private String tableName = "dedup_record";

	/**
	 * Whether to create and upgrade the dedup table with the migrations shipped in dedup-store-jdbc, at
	 * startup. Turn off to manage the schema yourself (the DDL is in the README).
	 */
	private boolean migrate = true;

	/**
	 * Whether store steps join a Spring-managed transaction on the same DataSource when the listener runs in
	 * one (a container with a JDBC transaction manager): the dedup row then commits or rolls back with the
	 * business writes. Off: every step commits on a connection of its own, as with Redis.
	 */
	private boolean transactional = true;

	/**
	 * The database dialect. Unset: detected from the DataSource at startup.
	 */
	private @Nullable JdbcDialect dialect;

	private final Purge purge = new Purge();

	public String getTableName() {
		return this.tableName;
	}

	public void setTableName(String tableName) {
		this.tableName = tableName;
	}

	public boolean isMigrate() {
		return this.migrate;
	}

	public void setMigrate(boolean migrate) {
		this.migrate = migrate;
	}

	public boolean isTransactional() {
		return this.transactional;
	}

	public void setTransactional(boolean transactional) {
		this.transactional = transactional;
	}

	public @Nullable JdbcDialect getDialect() {
		return this.dialect;
	}

	public void setDialect(@Nullable JdbcDialect dialect) {
		this.dialect = dialect;
	}

	public Purge getPurge() {
		return this.purge;
	}

	/** The scheduled deletion of expired rows. */
	public static class Purge {

		/**
		 * Whether to delete expired rows on a schedule. Without it the table grows by every id ever seen.
		 */
		private boolean enabled = true;

		/**
		 * Pause between two purge runs.
		 */
		private Duration interval = Duration.ofMinutes(1);

		/**
		 * Rows deleted per statement; a run deletes batches until one comes back short (at most 100).
		 */
		private int batchSize = 1000;

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		public Duration getInterval() {
			return this.interval;
		}

		public void setInterval(Duration interval) {
			this.interval = interval;
		}

		public int getBatchSize() {
			return this.batchSize;
		}

		public void setBatchSize(int batchSize) {
			this.batchSize = batchSize;
		}

	}

}
