package dev.dedup.core.autoconfigure;

import java.time.Duration;
import java.util.Optional;
import java.util.Set;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.dedup.core.actuate.DedupEndpoint;
import dev.dedup.core.actuate.EndpointKeys;
import dev.dedup.core.engine.Claim;
import dev.dedup.core.engine.DedupEngine;
import dev.dedup.core.store.ClaimResult;
import dev.dedup.core.store.DedupStore;
import dev.dedup.core.store.DedupStoreException;
import dev.dedup.core.store.StoredEntry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class DedupActuatorAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(DedupAutoConfiguration.class, DedupActuatorAutoConfiguration.class));

	@Test
	void healthIsUpWhileTheStoreAnswersAndNamesTheStore() {
		this.contextRunner.run((context) -> {
			HealthIndicator health = context.getBean("dedupHealthIndicator", HealthIndicator.class);
			var result = health.health(true);
			assertThat(result.getStatus()).isEqualTo(Status.UP);
			assertThat(result.getDetails()).containsEntry("store", "InMemoryDedupStore[at most 100000 CONSUMED entries]")
				.containsKey("pingMillis");
		});
	}

	@Test
	void healthIsDownWithTheErrorWhenTheStoreDoesNotAnswer() {
		this.contextRunner.withUserConfiguration(DownStore.class).run((context) -> {
			var result = context.getBean("dedupHealthIndicator", HealthIndicator.class).health(true);
			assertThat(result.getStatus()).isEqualTo(Status.DOWN);
			assertThat(result.getDetails()).containsEntry("circuitBreaker", "CLOSED");
			assertThat(String.valueOf(result.getDetails().get("error"))).contains("store is down");
		});
	}

	@Test
	void healthIndicatorCanBeTurnedOff() {
		this.contextRunner.withPropertyValues("management.health.dedup.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean("dedupHealthIndicator"));
	}

	@Test
	void endpointExistsOnlyOnceExposed() {
		this.contextRunner.run((context) -> assertThat(context).doesNotHaveBean(DedupEndpoint.class));
		this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=dedup")
			.run((context) -> assertThat(context).hasSingleBean(DedupEndpoint.class));
	}

	@Test
	void endpointReadsAKafkaKeyByGroupAndIdAndEvictsIt() {
		this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=dedup").run((context) -> {
			DedupEngine engine = context.getBean(DedupEngine.class);
			DedupEndpoint endpoint = context.getBean(DedupEndpoint.class);
			Claim claim = engine.claim("dedup:kafka:orders:42", Duration.ofMinutes(1));
			assertThat(claim.begin()).isTrue();

			DedupEndpoint.Entry entry = endpoint.entry(null, "orders", "42", null, null, null);
			assertThat(entry.key()).isEqualTo("dedup:kafka:orders:42");
			assertThat(entry.state()).isEqualTo("CONSUMING");
			assertThat(entry.ownerPresent()).isTrue();
			assertThat(entry.remainingMillis()).isPositive().isLessThanOrEqualTo(60_000);

			DedupEndpoint.Eviction eviction = endpoint.evict("dedup:kafka:orders:42", null, null, null, null, null,
					SecurityContext.NONE);
			assertThat(eviction.deleted()).isTrue();
			assertThat(eviction.before().state()).isEqualTo("CONSUMING");
			assertThat(endpoint.entry("dedup:kafka:orders:42", null, null, null, null, null).state()).isEqualTo("ABSENT");
			assertThat(claim.complete(Duration.ofHours(1))).as("the evicted claim's mark is refused").isFalse();
			assertThat(endpoint.evict(null, "orders", "42", null, null, null, SecurityContext.NONE).deleted())
				.isFalse();
		});
	}

	@Test
	void endpointBuildsContributedKindsAndShowsAStoredResultsSizeOnly() {
		this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=dedup")
			.withUserConfiguration(IdemKeys.class)
			.run((context) -> {
				DedupStore store = context.getBean(DedupEngine.class).store();
				store.claim("dedup:idem:alice:POST /orders:k-1", "owner", Duration.ofMinutes(1));
				store.complete("dedup:idem:alice:POST /orders:k-1", "owner", Duration.ofHours(1), new byte[123]);
				DedupEndpoint.Entry entry = context.getBean(DedupEndpoint.class)
					.entry(null, null, "k-1", "idem", "alice", "POST /orders");
				assertThat(entry.state()).isEqualTo("CONSUMED");
				assertThat(entry.ownerPresent()).isFalse();
				assertThat(entry.resultBytes()).isEqualTo(123);
			});
	}

	@Test
	void endpointRefusesARequestThatNamesNoKeyOrAnUnknownKindOrMissesAPart() {
		this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=dedup")
			.withUserConfiguration(IdemKeys.class)
			.run((context) -> {
				DedupEndpoint endpoint = context.getBean(DedupEndpoint.class);
				assertThatExceptionOfType(InvalidEndpointRequestException.class)
					.isThrownBy(() -> endpoint.entry(null, null, null, null, null, null))
					.withMessageContaining("group=<consumer group>&id=<message id>")
					.withMessageContaining("kind=<idem>");
				assertThatExceptionOfType(InvalidEndpointRequestException.class)
					.isThrownBy(() -> endpoint.entry(null, null, "1", "nope", "a", "b"))
					.withMessageContaining("Unknown key kind 'nope'");
				assertThatExceptionOfType(InvalidEndpointRequestException.class)
					.isThrownBy(() -> endpoint.entry(null, "orders", null, null, null, null))
					.withMessageContaining("'id' is required");
				assertThatExceptionOfType(InvalidEndpointRequestException.class)
					.isThrownBy(() -> endpoint.entry(null, "orders", "bad\u0007id", null, null, null))
					.withMessageContaining("control character");
			});
	}

	@Test
	void storeMetersCountCallsTimeAndErrorsPerOperation() {
		this.contextRunner.withUserConfiguration(DownStore.class).run((context) -> {
			SimpleMeterRegistry registry = new SimpleMeterRegistry();
			context.getBean("dedupStoreMeters", MeterBinder.class).bindTo(registry);
			DedupStore store = context.getBean(DedupEngine.class).store();
			for (int i = 0; i < 2; i++) {
				try {
					store.claim("dedup:kafka:g:" + i, "owner", Duration.ofSeconds(5));
				}
				catch (DedupStoreException expected) {
				}
			}
			FunctionTimer claims = registry.get("dedup.store.calls").tag("operation", "claim").functionTimer();
			assertThat(claims.count()).isEqualTo(2);
			assertThat(claims.totalTime(java.util.concurrent.TimeUnit.NANOSECONDS)).isPositive();
			FunctionCounter errors = registry.get("dedup.store.errors").tag("operation", "claim").functionCounter();
			assertThat(errors.count()).isEqualTo(2);
			assertThat(registry.get("dedup.store.calls").tag("operation", "claimAll").functionTimer().count()).isZero();
		});
	}

	@Configuration(proxyBeanMethods = false)
	static class IdemKeys {

		@Bean
		EndpointKeys idemKeys() {
			return new EndpointKeys() {

				@Override
				public Set<String> kinds() {
					return Set.of("idem");
				}

				@Override
				public String key(String kind, String identity, String operation, String id) {
					return "dedup:idem:" + identity + ":" + operation + ":" + id;
				}

			};
		}

	}

	/** A store on a server that is down: every call fails. */
	@Configuration(proxyBeanMethods = false)
	static class DownStore {

		@Bean
		DedupStore dedupStore() {
			return new DedupStore() {

				@Override
				public ClaimResult claim(String key, String owner, Duration lease) {
					throw down();
				}

				@Override
				public boolean complete(String key, String owner, Duration retention, byte[] result) {
					throw down();
				}

				@Override
				public boolean release(String key, String owner) {
					throw down();
				}

				@Override
				public boolean renew(String key, String owner, Duration lease) {
					throw down();
				}

				@Override
				public Optional<StoredEntry> inspect(String key) {
					throw down();
				}

				private DedupStoreException down() {
					return new DedupStoreException("store is down");
				}

			};
		}

	}

}
