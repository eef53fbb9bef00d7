package dev.dedup.kafka.integration;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import dev.dedup.core.key.DedupKeys;
import dev.dedup.core.store.ClaimOutcome;
import dev.dedup.kafka.poll.DedupKafkaStats.Event;
import dev.dedup.kafka.poll.DedupPollLoop;
import dev.dedup.kafka.poll.DedupPollLoop.HandlerFailedException;
import dev.dedup.kafka.poll.InProgressPolicy;
import dev.dedup.redis.RedisDedupStore;
import dev.dedup.test.services.TestRedis;

/**
 * The plain kafka-clients API: a hand-written poll loop on a real broker and the real Redis, committing the
 * consumer's position after every {@code process}, as the README's loop does.
 */
class DedupPollLoopTests {

	private final String run = UUID.randomUUID().toString().substring(0, 8);

	private final String topic = "plain-" + this.run;

	private final String group = "plain-group-" + this.run;

	private final Map<String, AtomicInteger> handled = new ConcurrentHashMap<>();

	private LettuceConnectionFactory redis;

	private RedisDedupStore store;

	@BeforeEach
	void setUp() {
		TestKafka.get().createTopic(this.topic, 2);
		TestRedis testRedis = TestRedis.get();
		this.redis = new LettuceConnectionFactory(new RedisStandaloneConfiguration(testRedis.host(), testRedis.port()));
		this.redis.afterPropertiesSet();
		this.redis.start();
		this.store = new RedisDedupStore(this.redis, Duration.ofSeconds(2));
	}

	@AfterEach
	void tearDown() {
		this.redis.destroy();
	}

	@Test
	void duplicatesInAPollAndAcrossPollsAreHandledOnce() {
		TestKafka.get().send(this.topic, List.of("a-" + this.run, "b-" + this.run, "a-" + this.run));
		try (DedupPollLoop dedup = loop(); KafkaConsumer<String, String> consumer = consumer()) {
			pollUntil(consumer, dedup, () -> count("a") == 1 && count("b") == 1, record -> count(record));
			TestKafka.get().send(this.topic, List.of("a-" + this.run, "c-" + this.run));
			pollUntil(consumer, dedup, () -> count("c") == 1, record -> count(record));
			assertThat(count("a")).isEqualTo(1);
			assertThat(dedup.stats().count(Event.DUPLICATE)).isEqualTo(2);
		}
	}

	@Test
	void aFailedHandlerIsRetriedFromTheFailedRecordAndNothingRunsTwice() {
		TestKafka.get().send(this.topic, List.of("x-" + this.run, "flaky-" + this.run, "y-" + this.run));
		AtomicInteger failures = new AtomicInteger(1);
		List<HandlerFailedException> thrown = new ArrayList<>();
		try (DedupPollLoop dedup = loop(); KafkaConsumer<String, String> consumer = consumer()) {
			pollUntil(consumer, dedup, () -> count("x") == 1 && count("flaky") == 1 && count("y") == 1, record -> {
				if (record.value().startsWith("flaky") && failures.getAndDecrement() > 0) {
					throw new IllegalStateException("injected");
				}
				count(record);
			}, thrown);
			assertThat(thrown).singleElement()
				.satisfies(ex -> assertThat(ex.record().value()).isEqualTo("flaky-" + this.run));
		}
		// A new consumer of the group starts at the committed offsets, which cover everything: nothing runs.
		try (DedupPollLoop dedup = loop(); KafkaConsumer<String, String> consumer = consumer()) {
			TestKafka.get().send(this.topic, List.of("marker-" + this.run));
			pollUntil(consumer, dedup, () -> count("marker") == 1, record -> count(record));
			assertThat(count("x")).isEqualTo(1);
			assertThat(count("flaky")).isEqualTo(1);
			assertThat(dedup.stats().count(Event.ACQUIRED)).as("only the marker was claimed").isEqualTo(1);
		}
	}

	@Test
	void aRecordHeldElsewhereWaitsAndThenRunsOnceWhileOtherPartitionsGoOn() {
		DedupKeys keys = new DedupKeys("dedup", this.store.maxKeyLength());
		String held = "held-" + this.run;
		assertThat(this.store.claim(keys.kafka(this.group, held), "someone-else", Duration.ofSeconds(2)).outcome())
			.isEqualTo(ClaimOutcome.ACQUIRED);
		TestKafka.get().send(this.topic, List.of(held, "free-" + this.run));
		try (DedupPollLoop dedup = loop(); KafkaConsumer<String, String> consumer = consumer()) {
			pollUntil(consumer, dedup, () -> count("held") == 1 && count("free") == 1, record -> count(record));
			assertThat(dedup.stats().count(Event.IN_PROGRESS_RETRIED)).isPositive();
		}
	}

	@Test
	void underOnInProgressSkipARecordHeldElsewhereIsSkippedAndCommitted() {
		DedupKeys keys = new DedupKeys("dedup", this.store.maxKeyLength());
		String held = "held-" + this.run;
		assertThat(this.store.claim(keys.kafka(this.group, held), "someone-else", Duration.ofMinutes(1)).outcome())
			.isEqualTo(ClaimOutcome.ACQUIRED);
		TestKafka.get().send(this.topic, List.of(held, "free-" + this.run));
		try (DedupPollLoop dedup = DedupPollLoop.builder(this.store, this.group)
			.onInProgress(InProgressPolicy.SKIP)
			.build(); KafkaConsumer<String, String> consumer = consumer()) {
			pollUntil(consumer, dedup, () -> count("free") == 1 && dedup.stats().count(Event.IN_PROGRESS_SKIPPED) == 1,
					record -> count(record));
			assertThat(count("held")).isZero();
		}
	}

	@Test
	void aRecordWithoutAnIdFallsBackToItsOffset() {
		try (var producer = TestKafka.get().producer()) {
			producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(this.topic, 0, null, "no-id-" + this.run));
			producer.flush();
		}
		try (DedupPollLoop dedup = loop(); KafkaConsumer<String, String> consumer = consumer()) {
			pollUntil(consumer, dedup, () -> count("no-id") == 1, record -> count(record));
			assertThat(dedup.stats().count(Event.MISSING_ID_OFFSET)).isEqualTo(1);
		}
	}

	/** The API promises no Spring at run time: no class of its package refers to one. */
	@Test
	void thePollPackageNeedsNoSpringAtRunTime() throws IOException {
		List<String> classes = List.of("DedupPollLoop", "DedupPollLoop$Builder", "DedupPollLoop$HandlerFailedException",
				"ConsumerDedup", "PollDedup", "ClaimedBatch", "RecordKeys", "RecordClaim", "PollClaims", "RecordPositions",
				"CompletionLane",
				"DedupKafkaStats", "ListenerDedupSettings", "ListenerSettingsResolver", "InProgressPolicy",
				"MissingIdPolicy");
		for (String name : classes) {
			try (InputStream in = DedupPollLoop.class.getResourceAsStream(name + ".class")) {
				assertThat(in).as(name).isNotNull();
				String constants = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
				assertThat(constants).as("%s refers to Spring", name).doesNotContain("org/springframework");
			}
		}
	}

	private DedupPollLoop loop() {
		return DedupPollLoop.builder(this.store, this.group).lease(Duration.ofSeconds(2)).build();
	}

	private KafkaConsumer<String, String> consumer() {
		KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
				ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.get().bootstrapServers(),
				ConsumerConfig.GROUP_ID_CONFIG, this.group, ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
				ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new StringDeserializer(), new StringDeserializer());
		consumer.subscribe(List.of(this.topic));
		return consumer;
	}

	private void pollUntil(KafkaConsumer<String, String> consumer, DedupPollLoop dedup,
			java.util.function.BooleanSupplier done, DedupPollLoop.RecordHandler<String, String> handler) {
		pollUntil(consumer, dedup, done, handler, new ArrayList<>());
	}

	/** The loop of the README: poll, process, commit the position. */
	private void pollUntil(KafkaConsumer<String, String> consumer, DedupPollLoop dedup,
			java.util.function.BooleanSupplier done, DedupPollLoop.RecordHandler<String, String> handler,
			List<HandlerFailedException> thrown) {
		long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
		while (!done.getAsBoolean()) {
			assertThat(System.nanoTime()).as("handled %s", this.handled).isLessThan(deadline);
			ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(200));
			try {
				dedup.process(consumer, records, handler);
			}
			catch (HandlerFailedException ex) {
				thrown.add(ex);
			}
			consumer.commitSync();
		}
		// Let any resend that was still on its way arrive and be judged.
		ConsumerRecords<String, String> late = consumer.poll(Duration.ofMillis(500));
		dedup.process(consumer, late, handler);
		consumer.commitSync();
	}

	private void count(ConsumerRecord<String, String> record) {
		String name = record.value().substring(0, record.value().length() - this.run.length() - 1);
		this.handled.computeIfAbsent(name, n -> new AtomicInteger()).incrementAndGet();
	}

	private int count(String name) {
		AtomicInteger count = this.handled.get(name);
		return count == null ? 0 : count.get();
	}

}
