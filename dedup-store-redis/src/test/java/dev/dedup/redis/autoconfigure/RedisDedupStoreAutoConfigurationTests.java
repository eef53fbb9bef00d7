package dev.dedup.redis.autoconfigure;

import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;

import dev.dedup.core.store.DedupStore;
import dev.dedup.core.store.InMemoryDedupStore;
import dev.dedup.redis.RedisDedupStore;
import dev.dedup.test.services.Ports;
import dev.dedup.test.services.TestRedis;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import static dev.dedup.core.store.ClaimOutcome.ACQUIRED;
import static org.assertj.core.api.Assertions.assertThat;

class RedisDedupStoreAutoConfigurationTests {

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(RedisDedupStoreAutoConfiguration.class));

	@Test
	void createsTheStoreWhenARedisConnectionFactoryExists() {
		this.runner.withUserConfiguration(RedisFactoryConfiguration.class)
			.run(context -> assertThat(context).hasSingleBean(DedupStore.class).hasSingleBean(RedisDedupStore.class));
	}

	@Test
	void createsTheStoreWhenDedupStoreIsRedis() {
		this.runner.withUserConfiguration(RedisFactoryConfiguration.class)
			.withPropertyValues("dedup.store=redis")
			.run(context -> assertThat(context).hasSingleBean(RedisDedupStore.class));
	}

	@Test
	void backsOffWhenTheUserDefinesADedupStore() {
		this.runner.withUserConfiguration(RedisFactoryConfiguration.class, UserStoreConfiguration.class)
			.run(context -> assertThat(context).hasSingleBean(DedupStore.class)
				.doesNotHaveBean(RedisDedupStore.class)
				.getBean(DedupStore.class)
				.isInstanceOf(InMemoryDedupStore.class));
	}

	@Test
	void backsOffWhenDedupStoreIsMemory() {
		this.runner.withUserConfiguration(RedisFactoryConfiguration.class)
			.withPropertyValues("dedup.store=memory")
			.run(context -> assertThat(context).doesNotHaveBean(DedupStore.class));
	}

	@Test
	void createsNoStoreWithoutARedisConnectionFactory() {
		this.runner.run(context -> assertThat(context).doesNotHaveBean(DedupStore.class));
	}

	@Test
	void createsNoStoreWithoutSpringDataRedis() {
		this.runner.withUserConfiguration(UserStoreConfiguration.class)
			.withClassLoader(new FilteredClassLoader(RedisConnectionFactory.class))
			.run(context -> assertThat(context).doesNotHaveBean(RedisDedupStore.class));
	}

	@Test
	void runsAfterBootsRedisAutoConfigurationAndUsesItsFactory() {
		new ApplicationContextRunner()
			.withConfiguration(
					AutoConfigurations.of(RedisDedupStoreAutoConfiguration.class, DataRedisAutoConfiguration.class))
			.withPropertyValues("spring.data.redis.url=" + TestRedis.get().url(), "spring.data.redis.timeout=5s")
			.run(context -> {
				assertThat(context).hasSingleBean(RedisDedupStore.class);
				DedupStore store = context.getBean(DedupStore.class);
				String key = "dedup-autoconfigure:" + UUID.randomUUID();
				assertThat(store.claim(key, "owner", Duration.ofSeconds(30)).outcome()).isEqualTo(ACQUIRED);
				assertThat(store.release(key, "owner")).isTrue();
			});
	}

	@Test
	void keepsPollRowsUnlessTurnedOffForAnUpgrade() {
		this.runner.withUserConfiguration(RedisFactoryConfiguration.class)
			.run(context -> assertThat(context.getBean(RedisDedupStore.class).completesPollsInOneWrite()).isTrue());
		this.runner.withUserConfiguration(RedisFactoryConfiguration.class)
			.withPropertyValues("dedup.redis.poll-rows=false")
			.run(context -> assertThat(context.getBean(RedisDedupStore.class).completesPollsInOneWrite()).isFalse());
	}

	@Test
	void isRegisteredAsAnAutoConfiguration() throws Exception {
		List<String> registered = new ArrayList<>();
		for (URL url : Collections.list(getClass().getClassLoader()
			.getResources("META-INF/spring/org.springframework.boot.autoconfigure.AutoConfiguration.imports"))) {
			try (InputStream in = url.openStream()) {
				new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().map(String::trim).forEach(registered::add);
			}
		}
		assertThat(registered).contains(RedisDedupStoreAutoConfiguration.class.getName(),
				"org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration");
	}

	@Configuration(proxyBeanMethods = false)
	static class RedisFactoryConfiguration {

		/** Never connected: creating the store must not talk to Redis. */
		@Bean
		LettuceConnectionFactory redisConnectionFactory() {
			return new LettuceConnectionFactory("127.0.0.1", Ports.freePort());
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserStoreConfiguration {

		@Bean
		DedupStore userDedupStore() {
			return new InMemoryDedupStore();
		}

	}

}
