package dev.dedup.http.integration;

import java.util.UUID;

import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.dedup.core.store.DedupStore;
import dev.dedup.jdbc.JdbcDedupStore;
import dev.dedup.test.services.TestPostgres;

/** Every strategy on the JDBC store in the PostgreSQL that {@link TestPostgres} finds, in a table of its own. */
class PostgresHttpDedupIntegrationTests extends HttpDedupIntegrationTests {

	@DynamicPropertySource
	static void postgres(DynamicPropertyRegistry registry) {
		registry.add("dedup.store", () -> "jdbc");
		registry.add("dedup.jdbc.table-name", () -> "dd_http_" + UUID.randomUUID().toString().substring(0, 8));
		registry.add("spring.datasource.url", () -> TestPostgres.get().jdbcUrl());
	}

	@Override
	protected Class<? extends DedupStore> expectedStore() {
		return JdbcDedupStore.class;
	}

}
