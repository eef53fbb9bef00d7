package dev.dedup.http.integration;

import java.util.UUID;

import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.dedup.core.store.DedupStore;
import dev.dedup.jdbc.JdbcDedupStore;
import dev.dedup.test.services.TestMariaDb;

/** Every strategy on the JDBC store in the MariaDB that {@link TestMariaDb} finds, in a table of its own. */
class MariaDbHttpDedupIntegrationTests extends HttpDedupIntegrationTests {

	@DynamicPropertySource
	static void mariaDb(DynamicPropertyRegistry registry) {
		registry.add("dedup.store", () -> "jdbc");
		registry.add("dedup.jdbc.table-name", () -> "dd_http_" + UUID.randomUUID().toString().substring(0, 8));
		registry.add("spring.datasource.url", () -> TestMariaDb.get().jdbcUrl("useAffectedRows=true"));
	}

	@Override
	protected Class<? extends DedupStore> expectedStore() {
		return JdbcDedupStore.class;
	}

}
