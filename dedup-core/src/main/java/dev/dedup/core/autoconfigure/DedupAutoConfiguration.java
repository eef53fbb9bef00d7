package dev.dedup.core.autoconfigure;

import java.time.Clock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.dedup.core.actuate.StoreMeters;
import dev.dedup.core.engine.DedupEngine;
import dev.dedup.core.engine.DedupEngineConfig;
import dev.dedup.core.key.DedupKeys;
import dev.dedup.core.store.CircuitBreakingDedupStore;
import dev.dedup.core.store.CountingDedupStore;
import dev.dedup.core.store.DedupStore;
import dev.dedup.core.store.InMemoryDedupStore;

/**
 * The engine, key rules and the store fallback. Store modules (Redis, JDBC) run before this one and
 * contribute a {@link DedupStore} bean when they apply; this class only fills the gap.
 */
@AutoConfiguration
@EnableConfigurationProperties(DedupProperties.class)
public class DedupAutoConfiguration {

	private static final Logger log = LoggerFactory.getLogger(DedupAutoConfiguration.class);

	@Bean
	@ConditionalOnMissingBean
	DedupStore dedupStore(DedupProperties properties) {
		DedupProperties.StoreType store = properties.getStore();
		if (store == DedupProperties.StoreType.REDIS) {
			throw new IllegalStateException("dedup.store=redis, but no Redis store could be created: add "
					+ "dev.dedup:dedup-store-redis and spring-boot-starter-data-redis, and configure "
					+ "spring.data.redis.* so that a RedisConnectionFactory bean exists");
		}
		if (store == DedupProperties.StoreType.JDBC) {
			throw new IllegalStateException("dedup.store=jdbc, but no JDBC store could be created: add "
					+ "dev.dedup:dedup-store-jdbc and a JDBC driver, and configure spring.datasource.* so that a "
					+ "single DataSource bean exists");
		}
		if (store == null) {
			log.warn("No dedup store configured and no RedisConnectionFactory found: using the in-memory store. "
					+ "It is not shared between instances and forgets everything on restart; set dedup.store "
					+ "(redis or jdbc) for production, or dedup.store=memory to silence this warning.");
		}
		return new InMemoryDedupStore(Clock.systemUTC(), properties.getMemory().getMaxEntries());
	}

	/**
	 * The engine works on the store through a circuit breaker (unless it is turned off, or the store answers
	 * in process), so everything that goes through the engine, {@code engine.store()} included, fails fast
	 * while the store is down.
	 */
	@Bean(destroyMethod = "close")
	@ConditionalOnMissingBean
	DedupEngine dedupEngine(DedupStore dedupStore, DedupProperties properties) {
		DedupProperties.CircuitBreaker circuit = properties.getCircuitBreaker();
		DedupStore store = new CountingDedupStore(dedupStore);
		if (circuit.isEnabled() && !dedupStore.isInProcess()) {
			store = new CircuitBreakingDedupStore(store, CircuitBreakingDedupStore.newBreaker(
					circuit.getFailureRateThreshold(), circuit.getSlidingWindowSize(), circuit.getMinimumCalls(),
					circuit.getOpenDuration()));
		}
		return new DedupEngine(store, engineConfig(properties));
	}

	/** The engine settings that have a property: {@code dedup.on-store-failure}; the rest keep their defaults. */
	static DedupEngineConfig engineConfig(DedupProperties properties) {
		return DedupEngineConfig.custom().storeFailurePolicy(properties.getOnStoreFailure()).build();
	}

	/** {@code dedup.store.calls} and {@code dedup.store.errors}, by operation (see {@link StoreMeters}). */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(name = "io.micrometer.core.instrument.binder.MeterBinder")
	static class StoreMetersConfiguration {

		@Bean
		MeterBinder dedupStoreMeters(DedupEngine engine) {
			return StoreMeters.of(engine.store());
		}

	}

	@Bean
	@ConditionalOnMissingBean
	DedupKeys dedupKeys(DedupStore dedupStore, DedupProperties properties) {
		return new DedupKeys(properties.getKeyPrefix(), dedupStore.maxKeyLength(),
				properties.getKafka().getKeyLayout());
	}

}
