package dev.dedup.http.integration;

import org.junit.jupiter.api.AfterAll;

import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.dedup.core.store.DedupStore;
import dev.dedup.redis.RedisDedupStore;
import dev.dedup.test.services.PrivateRedisCluster;

/**
 * Every strategy on a Redis Cluster of three masters started for this class ({@link PrivateRedisCluster}):
 * each key goes to the node of its hash slot, Boot's cluster connection routes the scripts.
 */
class RedisClusterHttpDedupIntegrationTests extends HttpDedupIntegrationTests {

	private static PrivateRedisCluster cluster;

	@DynamicPropertySource
	static void redisCluster(DynamicPropertyRegistry registry) {
		cluster = new PrivateRedisCluster();
		registry.add("dedup.store", () -> "redis");
		registry.add("spring.data.redis.cluster.nodes", () -> String.join(",", cluster.nodes()));
	}

	@AfterAll
	static void stopCluster() {
		if (cluster != null) {
			cluster.close();
		}
	}

	@Override
	protected Class<? extends DedupStore> expectedStore() {
		return RedisDedupStore.class;
	}

}
