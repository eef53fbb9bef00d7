package dev.dedup.http.integration;

import java.util.UUID;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.TestPropertySource;

import dev.dedup.core.store.DedupStore;
import dev.dedup.core.store.InMemoryDedupStore;

import static org.assertj.core.api.Assertions.assertThat;

/** Every strategy on the in-memory store; here also the request meters. */
@TestPropertySource(properties = "dedup.store=memory")
@Import(InMemoryHttpDedupIntegrationTests.Meters.class)
class InMemoryHttpDedupIntegrationTests extends HttpDedupIntegrationTests {

	@Autowired
	MeterRegistry meters;

	@Override
	protected Class<? extends DedupStore> expectedStore() {
		return InMemoryDedupStore.class;
	}

	@Test
	void eachProtectedRequestIsCountedByStrategyAndOutcome() {
		double ranBefore = count("idempotency-key", "ran");
		double replayedBefore = count("idempotency-key", "replayed");
		double reusedBefore = count("idempotency-key", "idempotency-key-reused");
		String key = "meters-" + UUID.randomUUID();
		assertThat(this.client.post("/idem/orders", "{\"a\":1}", "X-User", this.user, "X-Run", this.run,
				"Idempotency-Key", key).status()).isEqualTo(201);
		assertThat(this.client.post("/idem/orders", "{\"a\":1}", "X-User", this.user, "X-Run", this.run,
				"Idempotency-Key", key).status()).isEqualTo(201);
		assertThat(this.client.post("/idem/orders", "{\"a\":2}", "X-User", this.user, "X-Run", this.run,
				"Idempotency-Key", key).status()).isEqualTo(422);
		assertThat(count("idempotency-key", "ran") - ranBefore).isEqualTo(1);
		assertThat(count("idempotency-key", "replayed") - replayedBefore).isEqualTo(1);
		assertThat(count("idempotency-key", "idempotency-key-reused") - reusedBefore).isEqualTo(1);
	}

	private double count(String strategy, String outcome) {
		var counter = this.meters.find("dedup.http.requests").tag("strategy", strategy).tag("outcome", outcome).counter();
		return (counter != null) ? counter.count() : 0;
	}

	@TestConfiguration(proxyBeanMethods = false)
	static class Meters {

		@Bean
		MeterRegistry meterRegistry() {
			return new SimpleMeterRegistry();
		}

	}

}
