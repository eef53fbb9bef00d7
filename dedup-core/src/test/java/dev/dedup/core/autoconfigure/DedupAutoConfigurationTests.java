package dev.dedup.core.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.ClassPathResource;

import com.jayway.jsonpath.JsonPath;

import dev.dedup.core.engine.DedupEngine;
import dev.dedup.core.engine.DedupEngineConfig;
import dev.dedup.core.engine.StoreFailurePolicy;
import dev.dedup.core.key.DedupKeys;
import dev.dedup.core.key.KafkaKeyLayout;
import dev.dedup.core.key.KeyKind;
import dev.dedup.core.store.ClaimResult;
import dev.dedup.core.store.CircuitBreakingDedupStore;
import dev.dedup.core.store.CountingDedupStore;
import dev.dedup.core.store.DedupStore;
import dev.dedup.core.store.InMemoryDedupStore;
import dev.dedup.core.store.StoredEntry;

class DedupAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(DedupAutoConfiguration.class));

	@Test
	void defaultsToTheInMemoryStoreAFailClosedEngineAndTheDedupPrefix() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context).hasSingleBean(DedupStore.class).hasSingleBean(DedupEngine.class)
				.hasSingleBean(DedupKeys.class).hasSingleBean(DedupProperties.class);
			assertThat(context.getBean(DedupStore.class)).isInstanceOf(InMemoryDedupStore.class);
			DedupEngine engine = context.getBean(DedupEngine.class);
			assertThat(engine.storeFailurePolicy()).isEqualTo(StoreFailurePolicy.FAIL_CLOSED);
			// in process: no breaker, only the call counter
			assertThat(engine.store()).isInstanceOfSatisfying(CountingDedupStore.class,
					(counted) -> assertThat(counted.store()).isSameAs(context.getBean(DedupStore.class)));
			assertThat(context.getBean(DedupKeys.class).prefix()).isEqualTo("dedup");
			assertThat(context.getBean(DedupKeys.class).kafka("group", "id")).isEqualTo("dedup:kafka:group:id");
			assertThat(context.getBean(DedupKeys.class).kafkaLayout()).isEqualTo(KafkaKeyLayout.KINDED);
		});
	}

	@Test
	void legacyKafkaKeyLayoutPropertyKeepsTheOldKafkaKeys() {
		this.contextRunner.withPropertyValues("dedup.kafka.key-layout=legacy").run((context) -> {
			DedupKeys keys = context.getBean(DedupKeys.class);
			assertThat(keys.kafkaLayout()).isEqualTo(KafkaKeyLayout.LEGACY);
			assertThat(keys.kafka("group", "id")).isEqualTo("dedup:group:id");
			assertThat(keys.key(KeyKind.LOCK, "alice", "/orders", "h")).isEqualTo("dedup:lock:alice:/orders:h");
		});
	}

	@Test
	void failOpenPropertySetsTheEnginePolicy() {
		this.contextRunner.withPropertyValues("dedup.on-store-failure=fail-open")
			.run((context) -> assertThat(context.getBean(DedupEngine.class).storeFailurePolicy())
				.isEqualTo(StoreFailurePolicy.FAIL_OPEN));
	}

	@Test
	void failClosedPropertySetsTheEnginePolicy() {
		this.contextRunner.withPropertyValues("dedup.on-store-failure=fail-closed")
			.run((context) -> assertThat(context.getBean(DedupEngine.class).storeFailurePolicy())
				.isEqualTo(StoreFailurePolicy.FAIL_CLOSED));
	}

	@Test
	void keyPrefixPropertyApplies() {
		this.contextRunner.withPropertyValues("dedup.key-prefix=orders").run((context) -> {
			DedupKeys keys = context.getBean(DedupKeys.class);
			assertThat(keys.prefix()).isEqualTo("orders");
			assertThat(keys.kafka("group", "id")).isEqualTo("orders:kafka:group:id");
		});
	}

	@Test
	void invalidKeyPrefixFailsTheContext() {
		this.contextRunner.withPropertyValues("dedup.key-prefix=")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.isInstanceOf(IllegalArgumentException.class)
				.hasMessageContaining("prefix"));
	}

	@Test
	void userDefinedStoreMakesTheStoreBackOffAndIsUsedByEngineAndKeys() {
		this.contextRunner.withUserConfiguration(UserStoreConfiguration.class).run((context) -> {
			assertThat(context).hasSingleBean(DedupStore.class);
			DedupStore store = context.getBean(DedupStore.class);
			assertThat(store).isSameAs(context.getBean("userStore"));
			// the engine sees the user's store through the circuit breaker and the call counter
			assertThat(context.getBean(DedupEngine.class).store()).isInstanceOfSatisfying(
					CircuitBreakingDedupStore.class, (guarded) -> assertThat(guarded.store())
						.isInstanceOfSatisfying(CountingDedupStore.class,
								(counted) -> assertThat(counted.store()).isSameAs(store)));
			// the user's store allows 120-byte keys: longer ids are hashed
			String key = context.getBean(DedupKeys.class).kafka("g", "a".repeat(120));
			assertThat(key).startsWith("dedup:kafka:sha256:");
		});
	}

	@Test
	void circuitBreakerPropertiesShapeTheBreaker() {
		this.contextRunner.withUserConfiguration(UserStoreConfiguration.class)
			.withPropertyValues("dedup.circuit-breaker.failure-rate-threshold=80",
					"dedup.circuit-breaker.sliding-window-size=20", "dedup.circuit-breaker.minimum-calls=7",
					"dedup.circuit-breaker.open-duration=3s")
			.run((context) -> {
				CircuitBreakingDedupStore store = (CircuitBreakingDedupStore) context.getBean(DedupEngine.class).store();
				var config = store.circuitBreaker().getCircuitBreakerConfig();
				assertThat(config.getFailureRateThreshold()).isEqualTo(80f);
				assertThat(config.getSlidingWindowSize()).isEqualTo(20);
				assertThat(config.getMinimumNumberOfCalls()).isEqualTo(7);
				assertThat(config.getWaitIntervalFunctionInOpenState().apply(1)).isEqualTo(3000L);
			});
	}

	@Test
	void circuitBreakerCanBeTurnedOff() {
		this.contextRunner.withUserConfiguration(UserStoreConfiguration.class)
			.withPropertyValues("dedup.circuit-breaker.enabled=false")
			.run((context) -> assertThat(context.getBean(DedupEngine.class).store())
				.isInstanceOfSatisfying(CountingDedupStore.class,
						(counted) -> assertThat(counted.store()).isSameAs(context.getBean(DedupStore.class))));
	}

	@Test
	void storeTimeoutDefaultsToTwoSecondsAndMustBePositive() {
		this.contextRunner.run((context) -> assertThat(context.getBean(DedupProperties.class).getStoreTimeout())
			.isEqualTo(Duration.ofSeconds(2)));
		this.contextRunner.withPropertyValues("dedup.store-timeout=0s")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("dedup.store-timeout must be at least 1ms"));
	}

	@Test
	void userDefinedEngineMakesTheEngineBackOff() {
		this.contextRunner.withUserConfiguration(UserEngineConfiguration.class).run((context) -> {
			assertThat(context).hasSingleBean(DedupEngine.class);
			assertThat(context.getBean(DedupEngine.class)).isSameAs(context.getBean("userEngine"));
			assertThat(context.getBean(DedupEngine.class).storeFailurePolicy()).isEqualTo(StoreFailurePolicy.FAIL_OPEN);
			assertThat(context).hasSingleBean(DedupStore.class).hasSingleBean(DedupKeys.class);
		});
	}

	@Test
	void userDefinedKeysMakeTheKeysBackOff() {
		this.contextRunner.withUserConfiguration(UserKeysConfiguration.class)
			.withPropertyValues("dedup.key-prefix=ignored")
			.run((context) -> {
				assertThat(context).hasSingleBean(DedupKeys.class);
				assertThat(context.getBean(DedupKeys.class)).isSameAs(context.getBean("userKeys"));
				assertThat(context.getBean(DedupKeys.class).prefix()).isEqualTo("mine");
			});
	}

	@Test
	void redisStoreWithoutARedisStoreBeanFailsWithAMessageNamingTheModule() {
		this.contextRunner.withPropertyValues("dedup.store=redis")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.isInstanceOf(IllegalStateException.class)
				.hasMessageContaining("dedup-store-redis")
				.hasMessageContaining("dedup.store=redis"));
	}

	@Test
	void jdbcStoreWithoutAJdbcStoreBeanFailsWithAMessageNamingTheModule() {
		this.contextRunner.withPropertyValues("dedup.store=jdbc")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.isInstanceOf(IllegalStateException.class)
				.hasMessageContaining("dedup-store-jdbc")
				.hasMessageContaining("dedup.store=jdbc")
				.hasMessageContaining("spring.datasource"));
	}

	@Test
	void redisStoreWithAStoreBeanContributedElsewhereWorks() {
		this.contextRunner.withPropertyValues("dedup.store=redis")
			.withUserConfiguration(UserStoreConfiguration.class)
			.run((context) -> assertThat(context).hasNotFailed().hasSingleBean(DedupStore.class));
	}

	@Test
	void memoryStoreWorks() {
		this.contextRunner.withPropertyValues("dedup.store=memory").run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context.getBean(DedupStore.class)).isInstanceOf(InMemoryDedupStore.class);
			assertThat(context.getBean(DedupProperties.class).getStore()).isEqualTo(DedupProperties.StoreType.MEMORY);
		});
	}

	@Test
	void unknownStoreValueFailsTheContext() {
		this.contextRunner.withPropertyValues("dedup.store=cassandra")
			.run((context) -> assertThat(context).hasFailed());
	}

	@Test
	void autoConfigurationIsRegisteredInTheImportsFile() throws IOException {
		String imports = read(
				"META-INF/spring/org.springframework.boot.autoconfigure.AutoConfiguration.imports");

		assertThat(imports.lines().map(String::strip)).contains(DedupAutoConfiguration.class.getName());
	}

	@Test
	void configurationMetadataIsGeneratedForTheDedupProperties() throws IOException {
		String json = read("META-INF/spring-configuration-metadata.json");

		List<String> names = JsonPath.read(json, "$.properties[*].name");
		assertThat(names).contains("dedup.store", "dedup.key-prefix", "dedup.on-store-failure",
				"dedup.kafka.key-layout");

		List<Map<String, Object>> prefix = JsonPath.read(json, "$.properties[?(@.name == 'dedup.key-prefix')]");
		assertThat(prefix).singleElement()
			.satisfies((property) -> assertThat(property).containsEntry("defaultValue", "dedup")
				.containsKey("description"));
		List<Map<String, Object>> policy = JsonPath.read(json,
				"$.properties[?(@.name == 'dedup.on-store-failure')]");
		assertThat(policy).singleElement()
			.satisfies((property) -> assertThat(property).containsEntry("defaultValue", "fail-closed")
				.containsEntry("type", StoreFailurePolicy.class.getName()));
		List<Map<String, Object>> layout = JsonPath.read(json,
				"$.properties[?(@.name == 'dedup.kafka.key-layout')]");
		assertThat(layout).singleElement()
			.satisfies((property) -> assertThat(property).containsEntry("defaultValue", "kinded")
				.containsEntry("type", KafkaKeyLayout.class.getName())
				.containsKey("description"));
	}

	private static String read(String resource) throws IOException {
		ClassPathResource file = new ClassPathResource(resource);
		assertThat(file.exists()).as("%s on the classpath", resource).isTrue();
		try (InputStream in = file.getInputStream()) {
			return new String(in.readAllBytes(), StandardCharsets.UTF_8);
		}
	}

	@Configuration(proxyBeanMethods = false)
	static class UserStoreConfiguration {

		@Bean
		DedupStore userStore() {
			InMemoryDedupStore delegate = new InMemoryDedupStore();
			return new DedupStore() {

				@Override
				public ClaimResult claim(String key, String owner, Duration lease) {
					return delegate.claim(key, owner, lease);
				}

				@Override
				public boolean complete(String key, String owner, Duration retention,
						byte @Nullable [] result) {
					return delegate.complete(key, owner, retention, result);
				}

				@Override
				public boolean release(String key, String owner) {
					return delegate.release(key, owner);
				}

				@Override
				public boolean renew(String key, String owner, Duration lease) {
					return delegate.renew(key, owner, lease);
				}

				@Override
				public Optional<StoredEntry> inspect(String key) {
					return delegate.inspect(key);
				}

				@Override
				public int maxKeyLength() {
					return 120;
				}

			};
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserEngineConfiguration {

		@Bean(destroyMethod = "close")
		DedupEngine userEngine() {
			return new DedupEngine(new InMemoryDedupStore(),
					DedupEngineConfig.custom().storeFailurePolicy(StoreFailurePolicy.FAIL_OPEN).build());
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserKeysConfiguration {

		@Bean
		DedupKeys userKeys() {
			return new DedupKeys("mine", 512);
		}

	}

}
