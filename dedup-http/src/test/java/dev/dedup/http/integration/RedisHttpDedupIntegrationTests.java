package dev.dedup.http.integration;

import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.dedup.core.store.DedupStore;
import dev.dedup.redis.RedisDedupStore;
import dev.dedup.test.services.TestRedis;

/** Every strategy on the Redis that {@link TestRedis} finds (127.0.0.1:6379 by default). */
class RedisHttpDedupIntegrationTests extends HttpDedupIntegrationTests {

	@DynamicPropertySource
	static void redis(DynamicPropertyRegistry registry) {
		registry.add("dedup.store", () -> "redis");
		registry.add("spring.data.redis.url", () -> TestRedis.get().url());
	}

	@Override
	protected Class<? extends DedupStore> expectedStore() {
		return RedisDedupStore.class;
	}

}
