package dev.dedup.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Locale;
import java.util.UUID;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

/** Pools and uniquely named dedup tables for tests on shared database servers. */
final class TestTables {

	private TestTables() {
	}

	/** A table name no other test class or JVM uses: {@code dd_{class}_{random}}. */
	static TableName unique(Class<?> testClass) {
		String name = testClass.getSimpleName().replaceAll("[^A-Za-z0-9]", "").toLowerCase(Locale.ROOT);
		name = name.substring(0, Math.min(name.length(), 28));
		return TableName.of("dd_" + name + "_" + UUID.randomUUID().toString().substring(0, 8));
	}

	static HikariDataSource pool(String url) {
		return pool(url, null);
	}

	/**
	 * @param initSql run on every new connection (e.g. a session time zone), or null
	 */
	static HikariDataSource pool(String url, String initSql) {
		HikariConfig config = new HikariConfig();
		config.setJdbcUrl(url);
		config.setMaximumPoolSize(12);
		config.setConnectionTimeout(Duration.ofSeconds(10).toMillis());
		if (initSql != null) {
			config.setConnectionInitSql(initSql);
		}
		return new HikariDataSource(config);
	}

	static void drop(DataSource dataSource, TableName table) {
		try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
			statement.execute("DROP TABLE IF EXISTS " + table.value());
			statement.execute("DROP TABLE IF EXISTS " + table.historyTable());
		}
		catch (SQLException ex) {
			throw new IllegalStateException("Could not drop test table " + table, ex);
		}
	}

}
