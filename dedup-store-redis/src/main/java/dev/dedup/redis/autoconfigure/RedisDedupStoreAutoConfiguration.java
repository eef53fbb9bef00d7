package dev.dedup.redis.autoconfigure;

import dev.dedup.core.autoconfigure.DedupProperties;
import dev.dedup.core.store.DedupStore;
import dev.dedup.redis.RedisDedupStore;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.data.redis.connection.RedisConnectionFactory;

/**
 * Makes a {@link RedisDedupStore} on the application's {@link RedisConnectionFactory} (Boot's, or the
 * user's), unless {@code dedup.store} names another store or the user defined a {@link DedupStore}. Runs
 * after Boot's Redis auto-configuration, which creates the factory, and before dedup's core
 * auto-configuration, which falls back to the in-memory store when no store bean exists. Each store call
 * has the deadline {@code dedup.store-timeout}, whatever {@code spring.data.redis.timeout} says. With
 * {@code dedup.redis.wait-for-replicas} above 0, each mark waits for that many replicas (Redis' WAIT, for
 * at most {@code dedup.redis.wait-timeout}) and fails unless they acknowledged it.
 */
@AutoConfiguration(afterName = "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration",
		beforeName = "dev.dedup.core.autoconfigure.DedupAutoConfiguration")
@ConditionalOnClass(RedisConnectionFactory.class)
@ConditionalOnBean(RedisConnectionFactory.class)
@ConditionalOnProperty(name = "dedup.store", havingValue = "redis", matchIfMissing = true)
@EnableConfigurationProperties({ DedupProperties.class, RedisDedupProperties.class })
public final class RedisDedupStoreAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(DedupStore.class)
	RedisDedupStore dedupStore(RedisConnectionFactory redisConnectionFactory, DedupProperties properties,
			RedisDedupProperties redis) {
		// With replicas to wait for, fails at startup if the wait is not below the store timeout, or the factory
		// cannot WAIT (Cluster, Jedis).
		return new RedisDedupStore(redisConnectionFactory, properties.getStoreTimeout(), redis.getWaitForReplicas(),
				redis.getWaitTimeout(), redis.isPollRows());
	}

}
