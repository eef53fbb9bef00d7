package dev.dedup.jdbc;

import org.junit.jupiter.api.Test;

import dev.dedup.test.services.TestMariaDb;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The JDBC store on MariaDB with the drivers' default found-rows semantics, where an upsert that leaves a
 * live row alone counts like an insert: the store detects it and reads before and after the upsert.
 */
class MariaDbFoundRowsDedupStoreTests extends JdbcDedupStoreTests {

	@Override
	protected String jdbcUrl() {
		return TestMariaDb.get().jdbcUrl();
	}

	@Override
	protected JdbcDialect dialect() {
		return JdbcDialect.MYSQL;
	}

	@Override
	protected String unreachableUrl(int port) {
		return "jdbc:mysql://127.0.0.1:" + port + "/test?user=root&password=&connectTimeout=1000";
	}

	@Override
	protected String setSessionTimeZone(String offset) {
		return "SET time_zone = '" + offset + "'";
	}

	@Test
	void detectsThatTheConnectionsReportFoundRows() {
		this.store.claim(key("probe"), "a", java.time.Duration.ofSeconds(1));
		assertThat(this.store.usesAffectedRows()).isFalse();
	}

}
