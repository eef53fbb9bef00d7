package dev.dedup.jdbc;

import org.junit.jupiter.api.Test;

import dev.dedup.test.services.TestMariaDb;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The JDBC store on MariaDB (MySQL protocol, mysql-connector-j) with {@code useAffectedRows=true}: the
 * claim's upsert count tells inserted, taken over and left alone apart, so a new key costs one statement.
 */
class MariaDbDedupStoreTests extends JdbcDedupStoreTests {

	@Override
	protected String jdbcUrl() {
		return TestMariaDb.get().jdbcUrl("useAffectedRows=true");
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

	/** Whether {@link #jdbcUrl()} makes the driver report affected rows rather than found rows. */
	protected boolean reportsAffectedRows() {
		return true;
	}

	@Test
	void detectsWhetherTheConnectionsReportAffectedOrFoundRows() {
		this.store.claim(key("probe"), "a", java.time.Duration.ofSeconds(1));
		assertThat(this.store.usesAffectedRows()).isEqualTo(reportsAffectedRows());
	}

}
