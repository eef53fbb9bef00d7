package dev.dedup.http.integration;

import org.springframework.test.context.TestPropertySource;

import dev.dedup.core.store.DedupStore;
import dev.dedup.core.store.InMemoryDedupStore;

/** Every strategy on the in-memory store. */
@TestPropertySource(properties = "dedup.store=memory")
class InMemoryHttpDedupIntegrationTests extends HttpDedupIntegrationTests {

	@Override
	protected Class<? extends DedupStore> expectedStore() {
		return InMemoryDedupStore.class;
	}

}
