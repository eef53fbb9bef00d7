package dev.dedup.kafka.listener;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.Map;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.listener.ConcurrentMessageListenerContainer;
import org.springframework.kafka.listener.ContainerProperties.AckMode;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.kafka.listener.RecordInterceptor;

import dev.dedup.core.engine.DedupEngine;
import dev.dedup.core.key.DedupKeys;
import dev.dedup.core.store.DedupStore;
import dev.dedup.core.store.InMemoryDedupStore;
import dev.dedup.kafka.id.HeaderMessageIdResolver;
import dev.dedup.kafka.poll.DedupKafkaStats;
import dev.dedup.kafka.poll.InProgressPolicy;
import dev.dedup.kafka.poll.ListenerDedupSettings;
import dev.dedup.kafka.poll.ListenerSettingsResolver;
import dev.dedup.kafka.poll.MissingIdPolicy;

/**
 * Marks must be written before the offsets they cover are committed: containers whose AckMode commits inside
 * a poll get the interceptor that marks each record before the next runs; the others may mark in the
 * background until the end of the poll. Every factory also gets the batch interceptor.
 */
class DedupKafkaConfigurerAckModeTests {

	@ParameterizedTest
	@EnumSource(AckMode.class)
	void marksTrailTheirRecordsOnlyWhereTheCommitWaitsForTheEndOfThePoll(AckMode ackMode) {
		// A store that says it is not in process, so poll batching (and background marks) apply.
		InMemoryDedupStore memory = new InMemoryDedupStore();
		DedupStore store = (DedupStore) Proxy.newProxyInstance(getClass().getClassLoader(),
				new Class<?>[] { DedupStore.class }, (proxy, method, args) -> method.getName().equals("isInProcess")
						? Boolean.FALSE : method.invoke(memory, args));
		try (DedupEngine engine = new DedupEngine(store);
				DedupKafkaConfigurer configurer = new DedupKafkaConfigurer(new DedupRecordInterceptor<>(engine,
						new DedupKeys("dedup", 200), ListenerSettingsResolver.fixed(new ListenerDedupSettings(
								new HeaderMessageIdResolver("dedup-id"), MissingIdPolicy.OFFSET, Duration.ofSeconds(30),
								Duration.ofDays(1), InProgressPolicy.RETRY)), new DedupKafkaStats()),
						DefaultErrorHandler::new)) {
			ConcurrentKafkaListenerContainerFactory<String, String> factory = new ConcurrentKafkaListenerContainerFactory<>();
			factory.setConsumerFactory(new DefaultKafkaConsumerFactory<>(
					Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9"), new StringDeserializer(),
					new StringDeserializer()));
			factory.getContainerProperties().setAckMode(ackMode);
			configurer.configure(factory);

			ConcurrentMessageListenerContainer<String, String> container = factory.createContainer("orders");

			boolean commitsAtTheEndOfThePoll = ackMode == AckMode.BATCH || ackMode == AckMode.MANUAL;
			RecordInterceptor<String, String> interceptor = container.getRecordInterceptor();
			assertThat(interceptor).isNotNull();
			// The interceptor tells each consumer thread before its poll (here: the test's thread).
			interceptor.setupThreadState(mock(Consumer.class));
			assertThat(configurer.interceptor().dedup().forCurrentThread().marksEachRecord())
				.isEqualTo(!commitsAtTheEndOfThePoll);
			assertThat(factory.getBatchInterceptor()).isInstanceOf(DedupBatchInterceptor.class);
		}
	}

}
