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
 * has the deadline {@code dedup.store-timeout}, whatever {@code spring.data.redis.timeout} says.
 */
@AutoConfiguration(afterName = "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration",
		beforeName = "dev.dedup.core.autoconfigure.DedupAutoConfiguration")
@ConditionalOnClass(RedisConnectionFactory.class)
@ConditionalOnBean(RedisConnectionFactory.class)
@ConditionalOnProperty(name = "dedup.store", havingValue = "redis", matchIfMissing = true)
@EnableConfigurationProperties(DedupProperties.class)
public final class RedisDedupStoreAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(DedupStore.class)
	RedisDedupStore dedupStore(RedisConnectionFactory redisConnectionFactory, DedupProperties properties) {
		return new RedisDedupStore(redisConnectionFactory, properties.getStoreTimeout());
	}

}
