package dev.dedup.jdbc;

import java.util.UUID;

/** The JDBC store on an in-memory H2 database. */
class H2DedupStoreTests extends JdbcDedupStoreTests {

	private final String database = "dedup-" + UUID.randomUUID();

	@Override
	protected String jdbcUrl() {
		return "jdbc:h2:mem:" + this.database + ";DB_CLOSE_DELAY=-1";
	}

	@Override
	protected JdbcDialect dialect() {
		return JdbcDialect.H2;
	}

	@Override
	protected String unreachableUrl(int port) {
		return "jdbc:h2:tcp://127.0.0.1:" + port + "/mem:nothing";
	}

	@Override
	protected String setSessionTimeZone(String offset) {
		return "SET TIME ZONE '" + offset + "'";
	}

}
