package dev.dedup.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Locale;

import javax.sql.DataSource;

import dev.dedup.core.store.DedupStoreException;

/** The databases the JDBC store speaks, each with its own SQL and its own migrations. */
public enum JdbcDialect {

	/** MySQL 8 and MariaDB 10.11+: one SQL for both ({@code INSERT … ON DUPLICATE KEY UPDATE}). */
	MYSQL("mysql"),

	/** PostgreSQL 13+ ({@code INSERT … ON CONFLICT … DO UPDATE … WHERE … RETURNING}). */
	POSTGRESQL("postgresql"),

	/** H2 2.x ({@code MERGE … WHEN MATCHED AND …}): tests, demos, embedded use. */
	H2("h2");

	private final String vendor;

	JdbcDialect(String vendor) {
		this.vendor = vendor;
	}

	/** The Flyway location of this dialect's migrations inside the dedup-store-jdbc jar. */
	public String migrationLocation() {
		return "classpath:dev/dedup/jdbc/migration/" + this.vendor;
	}

	/**
	 * The dialect of a JDBC {@code DatabaseMetaData.getDatabaseProductName()}.
	 * @throws IllegalArgumentException for a database the store does not support
	 */
	public static JdbcDialect fromProductName(String productName) {
		String name = productName.toLowerCase(Locale.ROOT);
		if (name.contains("mysql") || name.contains("mariadb")) {
			return MYSQL;
		}
		if (name.contains("postgres")) {
			return POSTGRESQL;
		}
		if (name.equals("h2")) {
			return H2;
		}
		throw new IllegalArgumentException("The JDBC dedup store does not support " + productName
				+ "; supported are MySQL, MariaDB, PostgreSQL and H2");
	}

	/** Asks the database which it is (one connection, borrowed and returned). */
	public static JdbcDialect detect(DataSource dataSource) {
		try (Connection connection = dataSource.getConnection()) {
			return fromProductName(connection.getMetaData().getDatabaseProductName());
		}
		catch (SQLException ex) {
			throw new DedupStoreException("Could not detect the database of the JDBC dedup store (set "
					+ "dedup.jdbc.dialect to start without asking): " + ex.getMessage(), ex);
		}
	}

	TableSql sql(TableName table) {
		return switch (this) {
			case MYSQL -> new MySqlTableSql(table);
			case POSTGRESQL -> new PostgresTableSql(table);
			case H2 -> new H2TableSql(table);
		};
	}

}
