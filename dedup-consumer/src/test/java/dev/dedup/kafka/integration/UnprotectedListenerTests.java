package dev.dedup.kafka.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.core.ConsumerFactory;

import dev.dedup.kafka.listener.DedupKafkaConfigurer;
import dev.dedup.kafka.listener.Deduplicate;

/**
 * A listener is never silently unprotected: one whose container comes from a factory dedup was not installed
 * on is named in a warning at startup, and a {@code @Deduplicate} one fails startup — batch listeners alike;
 * a batch factory passed to {@code DedupKafkaConfigurer.configure} is protected.
 */
@ExtendWith(OutputCaptureExtension.class)
class UnprotectedListenerTests {

	@Test
	void aDeduplicateBatchListenerOnAnUnconfiguredFactoryFailsStartupNamingTheMethod() {
		assertThatThrownBy(() -> start(DeduplicatedOnOwnFactory.class).close())
			.hasStackTraceContaining("@Deduplicate")
			.hasStackTraceContaining(DeduplicatedOnOwnFactory.class.getName() + ".onBatch")
			.hasStackTraceContaining("DedupKafkaConfigurer.configure");
	}

	@Test
	void aPlainListenerOnAnUnconfiguredFactoryIsNamedInAWarning(CapturedOutput output) {
		try (ConfigurableApplicationContext context = start(PlainOnOwnFactory.class)) {
			assertThat(output).contains(PlainOnOwnFactory.class.getName() + ".onOrder")
				.contains("is not deduplicated");
		}
	}

	@Test
	void aListenerOnBootsFactoryIsNotWarnedAbout(CapturedOutput output) {
		try (ConfigurableApplicationContext context = start(OnBootFactory.class)) {
			assertThat(output).doesNotContain("is not deduplicated");
		}
	}

	@Test
	void aBatchFactoryPassedToTheConfigurerIsProtected(CapturedOutput output) {
		try (ConfigurableApplicationContext context = start(BatchOnConfiguredFactory.class)) {
			String run = context.getEnvironment().getProperty("test.topic");
			TestKafka.get().send(run, List.of("x-" + run, "x-" + run, "y-" + run));
			BatchOnConfiguredFactory app = context.getBean(BatchOnConfiguredFactory.class);
			org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
				.until(() -> app.seen.contains("y-" + run));
			assertThat(app.seen).containsExactlyInAnyOrder("x-" + run, "y-" + run);
			assertThat(output).doesNotContain("is not deduplicated");
		}
	}

	private static ConfigurableApplicationContext start(Class<?> app) {
		String run = UUID.randomUUID().toString().substring(0, 8);
		Map<String, Object> properties = TestKafka.get().consumerApp("unprotected-" + run, 1, "unprotected-" + run,
				"unprotected", "unused");
		properties.remove("spring.data.redis.url");
		properties.put("dedup.store", "memory");
		properties.put("spring.jmx.enabled", "false");
		return new SpringApplicationBuilder(app).properties(properties).run();
	}

	/** A factory of the user's own, which they forgot to pass to DedupKafkaConfigurer. */
	static ConcurrentKafkaListenerContainerFactory<Object, Object> ownFactory(ConsumerFactory<Object, Object> consumers,
			boolean batch) {
		ConcurrentKafkaListenerContainerFactory<Object, Object> factory = new ConcurrentKafkaListenerContainerFactory<>();
		factory.setConsumerFactory(consumers);
		factory.setBatchListener(batch);
		return factory;
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class DeduplicatedOnOwnFactory {

		@Bean
		static ConcurrentKafkaListenerContainerFactory<Object, Object> ordersFactory(ConsumerFactory<Object, Object> consumers) {
			return ownFactory(consumers, true);
		}

		@KafkaListener(topics = "${test.topic}", groupId = "${test.group}", containerFactory = "ordersFactory")
		@Deduplicate
		void onBatch(List<String> orders) {
		}

	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class PlainOnOwnFactory {

		@Bean
		static ConcurrentKafkaListenerContainerFactory<Object, Object> ordersFactory(ConsumerFactory<Object, Object> consumers) {
			return ownFactory(consumers, false);
		}

		@KafkaListener(topics = "${test.topic}", groupId = "${test.group}", containerFactory = "ordersFactory")
		void onOrder(String order) {
		}

	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class BatchOnConfiguredFactory {

		final List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();

		@Bean
		static ConcurrentKafkaListenerContainerFactory<Object, Object> ordersFactory(ConsumerFactory<Object, Object> consumers,
				DedupKafkaConfigurer dedup) {
			ConcurrentKafkaListenerContainerFactory<Object, Object> factory = ownFactory(consumers, true);
			dedup.configure(factory);
			return factory;
		}

		@KafkaListener(topics = "${test.topic}", groupId = "${test.group}", containerFactory = "ordersFactory")
		void onBatch(List<String> orders) {
			this.seen.addAll(orders);
		}

	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class OnBootFactory {

		@KafkaListener(topics = "${test.topic}", groupId = "${test.group}", batch = "true")
		void onBatch(List<String> orders) {
		}

	}

}
