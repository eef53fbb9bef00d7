package dev.dedup.jdbc;

import dev.dedup.test.services.TestPostgres;

/** The JDBC store on PostgreSQL. */
class PostgresDedupStoreTests extends JdbcDedupStoreTests {

	@Override
	protected String jdbcUrl() {
		return TestPostgres.get().jdbcUrl();
	}

	@Override
	protected JdbcDialect dialect() {
		return JdbcDialect.POSTGRESQL;
	}

	@Override
	protected String unreachableUrl(int port) {
		return "jdbc:postgresql://127.0.0.1:" + port + "/test?user=postgres&connectTimeout=1";
	}

	@Override
	protected String setSessionTimeZone(String offset) {
		// POSIX zone names count west as positive; an ISO offset is unambiguous as an INTERVAL.
		return "SET TIME ZONE INTERVAL '" + offset + "' HOUR TO MINUTE";
	}

}
