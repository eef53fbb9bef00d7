package dev.dedup.jdbc;

import java.util.Map;

import javax.sql.DataSource;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Applies the dedup table's migrations, shipped in this jar per dialect, with Flyway. They keep their own
 * history table ({@link TableName#historyTable()}), so they never mix with the application's own Flyway
 * migrations, and the table name is a placeholder ({@code ${table}}). The schema usually holds the
 * application's tables already: the history starts from a baseline at version 0, so V1 still runs.
 */
public final class JdbcDedupMigrations {

	private JdbcDedupMigrations() {
	}

	/**
	 * Brings the dedup table up to date (creating it the first time). Flyway's lock keeps several instances
	 * starting at once from racing.
	 * @return the number of migrations applied now
	 */
	public static int migrate(DataSource dataSource, JdbcDialect dialect, TableName table) {
		MigrateResult result = Flyway.configure(JdbcDedupMigrations.class.getClassLoader())
			.dataSource(dataSource)
			.locations(dialect.migrationLocation())
			.table(table.historyTable())
			.placeholders(Map.of("table", table.value()))
			.baselineOnMigrate(true)
			.baselineVersion("0")
			.baselineDescription("dedup history starts")
			.createSchemas(false)
			.cleanDisabled(true)
			.failOnMissingLocations(true)
			.load()
			.migrate();
		return result.migrationsExecuted;
	}

}
