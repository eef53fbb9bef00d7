package dev.dedup.jdbc;

import dev.dedup.test.services.TestMariaDb;

/**
 * The JDBC store on MariaDB with the drivers' default found-rows semantics, where an upsert that leaves a
 * live row alone counts like an insert: the store detects it and reads before and after the upsert.
 */
class MariaDbFoundRowsDedupStoreTests extends MariaDbDedupStoreTests {

	@Override
	protected String jdbcUrl() {
		return TestMariaDb.get().jdbcUrl();
	}

	@Override
	protected boolean reportsAffectedRows() {
		return false;
	}

}
