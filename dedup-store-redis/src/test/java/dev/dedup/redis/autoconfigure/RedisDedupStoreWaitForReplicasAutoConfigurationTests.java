package dev.dedup.redis.autoconfigure;

import java.util.List;

import dev.dedup.redis.RedisDedupStore;
import dev.dedup.test.services.Ports;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.RedisClusterConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code dedup.redis.wait-for-replicas} and {@code dedup.redis.wait-timeout}; nothing here connects to Redis. */
class RedisDedupStoreWaitForReplicasAutoConfigurationTests {

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(RedisDedupStoreAutoConfiguration.class));

	@Test
	void marksDoNotWaitByDefault() {
		this.runner.withUserConfiguration(StandaloneFactory.class)
			.run(context -> assertThat(context.getBean(RedisDedupStore.class))
				.hasToString("RedisDedupStore[LettuceConnectionFactory]"));
	}

	@Test
	void marksWaitForTheConfiguredReplicasWithTheDefaultTimeout() {
		this.runner.withUserConfiguration(StandaloneFactory.class)
			.withPropertyValues("dedup.redis.wait-for-replicas=2")
			.run(context -> assertThat(context.getBean(RedisDedupStore.class))
				.hasToString("RedisDedupStore[LettuceConnectionFactory, marks wait for 2 replicas (WAIT 1000 ms)]"));
	}

	@Test
	void theWaitTimeoutIsBound() {
		this.runner.withUserConfiguration(StandaloneFactory.class)
			.withPropertyValues("dedup.redis.wait-for-replicas=1", "dedup.redis.wait-timeout=250ms")
			.run(context -> assertThat(context.getBean(RedisDedupStore.class)).hasToString(
					"RedisDedupStore[LettuceConnectionFactory, marks wait for 1 replica (WAIT 250 ms)]"));
	}

	@Test
	void aWaitTimeoutNotBelowTheStoreTimeoutFailsAtStartup() {
		this.runner.withUserConfiguration(StandaloneFactory.class)
			.withPropertyValues("dedup.redis.wait-for-replicas=1", "dedup.redis.wait-timeout=2s",
					"dedup.store-timeout=2s")
			.run(context -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("shorter than the store timeout of 2000ms"));
	}

	@Test
	void waitingOnAClusterFailsAtStartup() {
		this.runner.withUserConfiguration(ClusterFactory.class)
			.withPropertyValues("dedup.redis.wait-for-replicas=1")
			.run(context -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("for a Redis Cluster"));
	}

	@Test
	void negativeReplicasFailAtStartup() {
		this.runner.withUserConfiguration(StandaloneFactory.class)
			.withPropertyValues("dedup.redis.wait-for-replicas=-1")
			.run(context -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("dedup.redis.wait-for-replicas must be 0 (off) or more"));
	}

	@Configuration(proxyBeanMethods = false)
	static class StandaloneFactory {

		/** Never connected: creating the store must not talk to Redis. */
		@Bean
		LettuceConnectionFactory redisConnectionFactory() {
			return new LettuceConnectionFactory("127.0.0.1", Ports.freePort());
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class ClusterFactory {

		@Bean
		LettuceConnectionFactory redisConnectionFactory() {
			return new LettuceConnectionFactory(new RedisClusterConfiguration(List.of("127.0.0.1:" + Ports.freePort())));
		}

	}

}
