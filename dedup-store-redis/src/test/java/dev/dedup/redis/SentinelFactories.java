package dev.dedup.redis;

import java.time.Duration;

import dev.dedup.test.services.PrivateRedisSentinel;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.resource.ClientResources;
import org.jspecify.annotations.Nullable;

import org.springframework.data.redis.connection.RedisSentinelConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/** Started Lettuce connection factories that find the master through a {@link PrivateRedisSentinel}; the caller destroys them. */
final class SentinelFactories {

	private SentinelFactories() {
	}

	/**
	 * @param resources client resources (for a quick reconnect delay), or null for Lettuce's defaults
	 */
	static LettuceConnectionFactory start(PrivateRedisSentinel redis, @Nullable ClientResources resources) {
		RedisSentinelConfiguration sentinel = new RedisSentinelConfiguration().master(redis.masterName())
			.sentinel(redis.sentinelHost(), redis.sentinelPort());
		Duration timeout = Duration.ofSeconds(5);
		LettuceClientConfiguration.LettuceClientConfigurationBuilder client = LettuceClientConfiguration.builder()
			.commandTimeout(timeout)
			.clientOptions(ClientOptions.builder()
				.timeoutOptions(TimeoutOptions.enabled())
				.socketOptions(SocketOptions.builder().connectTimeout(Duration.ofSeconds(1)).build())
				.build());
		if (resources != null) {
			client.clientResources(resources);
		}
		LettuceConnectionFactory factory = new LettuceConnectionFactory(sentinel, client.build());
		factory.afterPropertiesSet();
		factory.start();
		return factory;
	}

}
