package dev.dedup.redis;

import java.time.Duration;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.resource.ClientResources;
import org.jspecify.annotations.Nullable;

import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/** Started Lettuce connection factories for tests; the caller destroys them. */
final class LettuceFactories {

	private LettuceFactories() {
	}

	static LettuceConnectionFactory start(String url, Duration timeout) {
		return start(url, timeout, null);
	}

	/**
	 * @param timeout both the connect and the command timeout
	 * @param resources client resources (for a quick reconnect delay), or null for Lettuce's defaults
	 */
	static LettuceConnectionFactory start(String url, Duration timeout, @Nullable ClientResources resources) {
		LettuceClientConfiguration.LettuceClientConfigurationBuilder client = LettuceClientConfiguration.builder()
			.commandTimeout(timeout)
			.clientOptions(ClientOptions.builder()
				.timeoutOptions(TimeoutOptions.enabled())
				.socketOptions(SocketOptions.builder().connectTimeout(timeout).build())
				.build());
		if (resources != null) {
			client.clientResources(resources);
		}
		LettuceConnectionFactory factory = new LettuceConnectionFactory(
				LettuceConnectionFactory.createRedisConfiguration(url), client.build());
		factory.afterPropertiesSet();
		factory.start();
		return factory;
	}

}
