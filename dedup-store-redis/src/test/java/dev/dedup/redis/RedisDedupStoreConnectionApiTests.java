package dev.dedup.redis;

import java.time.Duration;

import dev.dedup.core.store.DedupStore;
import dev.dedup.test.DedupStoreContractTests;
import dev.dedup.test.services.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * The store contract on Spring's driver-neutral path (what a Jedis factory gets: EVALSHA with EVAL
 * fallback, Spring pipelines for batches), forced here on Lettuce.
 */
class RedisDedupStoreConnectionApiTests extends DedupStoreContractTests {

	private static LettuceConnectionFactory factory;

	private static RedisDedupStore store;

	@BeforeAll
	static void connect() {
		factory = LettuceFactories.start(TestRedis.get().url(), Duration.ofSeconds(5));
		store = new RedisDedupStore(factory, RedisDedupStore.DEFAULT_TIMEOUT, false);
	}

	@AfterAll
	static void disconnect() {
		factory.destroy();
	}

	@Override
	protected DedupStore store() {
		return store;
	}

}
