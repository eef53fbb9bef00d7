package dev.dedup.kafka.integration;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.kafka.listener.MessageListenerContainer;
import org.springframework.kafka.support.serializer.DeserializationException;
import org.springframework.kafka.support.serializer.ErrorHandlingDeserializer;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.util.backoff.FixedBackOff;

import dev.dedup.core.key.DedupKeys;
import dev.dedup.core.store.DedupStore;
import dev.dedup.core.store.ForeignEntryException;
import dev.dedup.kafka.poll.DedupKafkaStats;
import dev.dedup.test.services.TestRedis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Bad input on the Kafka side, on a real broker and the real Redis, with Boot's factory and an error handler
 * that gives up after 3 attempts into a recoverer (what a dead-letter publisher is): tombstones, a payload
 * that fails deserialization, and a key under dedup's prefix that holds something dedup did not write.
 * Each is handled as documented, nothing is lost, and the consumer goes on with the next record.
 */
@SpringBootTest(classes = KafkaBadInputTests.App.class)
class KafkaBadInputTests {

	static final String RUN = UUID.randomUUID().toString().substring(0, 8);

	static final String TOPIC = "bad-input-" + RUN;

	static final String GROUP = "bad-input-" + RUN;

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		TestKafka.get()
			.consumerApp(TOPIC, 1, GROUP, "bad-" + RUN, TestRedis.get().url())
			.forEach((name, value) -> registry.add(name, () -> value));
		registry.add("spring.kafka.consumer.value-deserializer", ErrorHandlingDeserializer.class::getName);
		registry.add("spring.kafka.consumer.properties.spring.deserializer.value.delegate.class",
				PoisonDeserializer.class::getName);
	}

	@Autowired
	KafkaTemplate<String, String> template;

	@Autowired
	Listener listener;

	@Autowired
	Recovered recovered;

	@Autowired
	DedupStore store;

	@Autowired
	DedupKeys keys;

	@Autowired
	DedupKafkaStats stats;

	@Autowired
	StringRedisTemplate redis;

	@Autowired
	KafkaListenerEndpointRegistry registry;

	@Test
	void tombstonesAreDeduplicatedByTheirIdLikeAnyRecord() {
		String id = unique("tombstone");
		send(id, null);
		send(id, null);
		String marker = unique("marker");
		send(marker, marker);
		await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(this.listener.handled(marker)).isEqualTo(1));
		assertThat(this.listener.handled(id)).as("the tombstone, handled once with a null value").isEqualTo(1);
		assertThat(this.listener.nullValues).contains(id);
	}

	@Test
	void aPayloadThatFailsDeserializationGoesToTheRecovererAndLeavesNoClaimBehind() {
		String id = unique("poison");
		send(id, PoisonDeserializer.POISON + id);
		String marker = unique("marker");
		send(marker, marker);
		await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
			assertThat(this.listener.handled(marker)).isEqualTo(1);
			assertThat(this.recovered.ids()).contains(id);
		});
		assertThat(this.recovered.failureOf(id)).hasRootCauseInstanceOf(IllegalArgumentException.class)
			.satisfies((failure) -> assertThat(hasCause(failure, DeserializationException.class)).isTrue());
		assertThat(this.listener.handled(id)).isZero();
		// Nothing of the poison record stays in the store: a good copy of the same id runs.
		assertThat(this.store.inspect(this.keys.kafka(GROUP, id))).isEmpty();
		send(id, "fixed " + id);
		await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(this.listener.handled(id)).isEqualTo(1));
	}

	@Test
	void aKeyHoldingAnEntryDedupDidNotWriteFailsOnlyItsRecordWithTheKeyNamedAndTheConsumerGoesOn() {
		String foreign = unique("foreign");
		String key = this.keys.kafka(GROUP, foreign);
		this.redis.opsForValue().set(key, "another application's value", Duration.ofMinutes(5));
		List<String> others = List.of(unique("before"), unique("after-1"), unique("after-2"));
		// In one poll, so the poll's one-call claim meets the foreign entry too.
		this.registry.getListenerContainers().forEach(MessageListenerContainer::pause);
		try {
			await().atMost(Duration.ofSeconds(30)).until(() -> this.registry.getListenerContainers()
				.stream()
				.allMatch(MessageListenerContainer::isContainerPaused));
			send(others.get(0), others.get(0));
			send(foreign, foreign);
			send(others.get(1), others.get(1));
			send(others.get(2), others.get(2));
			this.template.flush();
		}
		finally {
			this.registry.getListenerContainers().forEach(MessageListenerContainer::resume);
		}
		await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
			others.forEach((id) -> assertThat(this.listener.handled(id)).as(id).isEqualTo(1));
			assertThat(this.recovered.ids()).contains(foreign);
		});
		assertThat(this.recovered.failureOf(foreign)).satisfies((failure) -> {
			assertThat(hasCause(failure, ForeignEntryException.class)).isTrue();
			assertThat(failure).hasStackTraceContaining(key);
		});
		assertThat(this.listener.handled(foreign)).as("not run unprotected").isZero();
		assertThat(this.redis.opsForValue().get(key)).as("left as it was").isEqualTo("another application's value");
		assertThat(this.stats.count(DedupKafkaStats.Event.FOREIGN_ENTRY_REJECTED)).isPositive();
	}

	private void send(String dedupId, String payload) {
		this.template.send(TestKafka.record(TOPIC, null, payload, dedupId));
	}

	private static boolean hasCause(Throwable failure, Class<? extends Throwable> type) {
		for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
			if (type.isInstance(cause)) {
				return true;
			}
		}
		return false;
	}

	private static String unique(String name) {
		return name + "-" + UUID.randomUUID();
	}

	private static String dedupId(ConsumerRecord<?, ?> record) {
		Header header = record.headers().lastHeader("dedup-id");
		return (header != null) ? new String(header.value(), StandardCharsets.UTF_8) : "?";
	}

	/** A String deserializer that refuses payloads starting with {@link #POISON}. */
	public static class PoisonDeserializer extends StringDeserializer {

		static final String POISON = "poison:";

		@Override
		public String deserialize(String topic, byte[] data) {
			String value = super.deserialize(topic, data);
			if (value != null && value.startsWith(POISON)) {
				throw new IllegalArgumentException("cannot read " + value);
			}
			return value;
		}

	}

	/** Counts handled records by their dedup-id. */
	static class Listener {

		final Map<String, AtomicInteger> handled = new ConcurrentHashMap<>();

		final List<String> nullValues = new CopyOnWriteArrayList<>();

		@KafkaListener(topics = "${test.topic}", groupId = "${test.group}")
		void onMessage(ConsumerRecord<String, String> record) {
			String id = dedupId(record);
			if (record.value() == null) {
				this.nullValues.add(id);
			}
			this.handled.computeIfAbsent(id, (i) -> new AtomicInteger()).incrementAndGet();
		}

		int handled(String id) {
			AtomicInteger count = this.handled.get(id);
			return (count != null) ? count.get() : 0;
		}

	}

	/** What the error handler gave up on, by dedup-id: what a dead-letter publisher would have sent on. */
	static class Recovered {

		final Map<String, Exception> failures = new ConcurrentHashMap<>();

		List<String> ids() {
			return List.copyOf(this.failures.keySet());
		}

		Exception failureOf(String id) {
			return this.failures.get(id);
		}

	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class App {

		@Bean
		Listener listener() {
			return new Listener();
		}

		@Bean
		Recovered recovered() {
			return new Recovered();
		}

		@Bean
		DefaultErrorHandler errorHandler(Recovered recovered) {
			return new DefaultErrorHandler((record, failure) -> recovered.failures.put(dedupId(record), failure),
					new FixedBackOff(0, 2));
		}

	}

}
