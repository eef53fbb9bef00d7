package dev.dedup.kafka.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.apache.kafka.clients.consumer.ConsumerInterceptor;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.listener.ContainerProperties.AckMode;
import org.springframework.kafka.support.Acknowledgment;

import dev.dedup.core.key.DedupKeys;
import dev.dedup.core.store.DedupStore;
import dev.dedup.core.store.StoredEntry;
import dev.dedup.test.services.TestRedis;

/**
 * Marks are written before the offsets they cover are committed, for every AckMode, record and batch
 * listeners, on a real broker and Redis. A kafka-clients interceptor checks, at every commit, that each
 * record below the committed offset is already CONSUMED in the store — all of them where the container
 * commits after the poll (and for every batch listener, whose marks precede the batch's acknowledgement),
 * all but the last where the container commits a record before dedup's {@code success} callback can run
 * (RECORD, COUNT, TIME, COUNT_TIME, MANUAL_IMMEDIATE for record listeners; MANUAL_IMMEDIATE batches commit
 * inside the listener, before any mark — the window the README states).
 */
class AckModeTests {

	static Stream<Arguments> modes() {
		List<Arguments> modes = new ArrayList<>();
		for (AckMode mode : AckMode.values()) {
			modes.add(Arguments.of(mode, "single"));
			if (mode != AckMode.RECORD) { // spring-kafka refuses RECORD for batch listeners
				modes.add(Arguments.of(mode, "batch"));
			}
		}
		return modes.stream();
	}

	@ParameterizedTest(name = "{0} {1}")
	@MethodSource("modes")
	void everyCommitCoversOnlyMarkedRecords(AckMode mode, String listenerType) {
		String run = UUID.randomUUID().toString().substring(0, 8);
		String topic = "ack-" + run;
		String group = "ack-group-" + run;
		Map<String, Object> properties = TestKafka.get().consumerApp(topic, 1, group, "ack-" + run, TestRedis.get().url());
		properties.put("spring.kafka.listener.type", listenerType);
		properties.put("spring.kafka.listener.ack-mode", mode.name());
		properties.put("spring.kafka.listener.ack-count", "3");
		properties.put("spring.kafka.listener.ack-time", "50ms");
		properties.put("spring.kafka.consumer.max-poll-records", "10");
		properties.put("spring.kafka.consumer.properties.interceptor.classes", CommitChecker.class.getName());
		properties.put("spring.jmx.enabled", "false");
		try (ConfigurableApplicationContext context = new SpringApplicationBuilder(App.class).properties(properties)
			.run()) {
			CommitChecker.watch(group, context.getBean(DedupStore.class), context.getBean(DedupKeys.class),
					lagAllowed(mode, listenerType));
			List<String> ids = new ArrayList<>();
			for (int i = 0; i < 40; i++) {
				ids.add("m" + (i % 30) + "-" + run); // ten resends
			}
			ids.add("last-" + run); // a record the listener sees, so manual modes acknowledge up to the end
			TestKafka.get().send(topic, ids);
			Handled handled = context.getBean(Handled.class);
			await().atMost(Duration.ofSeconds(30)).until(() -> handled.distinct() == 31);
			// COUNT commits every 3 acknowledgements only, so it may keep the tail uncommitted.
			await().atMost(Duration.ofSeconds(10))
				.until(() -> mode == AckMode.COUNT || CommitChecker.highestCommitted(group) == 41);
			assertThat(handled.total()).as("each id once").isEqualTo(31);
			assertThat(CommitChecker.violations(group)).isEmpty();
			// A commit waits for its marks (CommitsAfterMarks): the first may go out with a poll after these.
			await().atMost(Duration.ofSeconds(15)).until(() -> CommitChecker.commits(group) > 0);
		}
	}

	/** How many records just below a commit may still be unmarked when it happens (see the class comment). */
	private static int lagAllowed(AckMode mode, String listenerType) {
		if (mode == AckMode.MANUAL_IMMEDIATE && listenerType.equals("batch")) {
			return Integer.MAX_VALUE;
		}
		boolean commitsInsideThePoll = mode != AckMode.BATCH && mode != AckMode.MANUAL;
		return listenerType.equals("single") && commitsInsideThePoll ? 1 : 0;
	}

	/** Counts what the listeners ran. */
	static class Handled {

		final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();

		void add(String payload) {
			this.counts.computeIfAbsent(payload, p -> new AtomicInteger()).incrementAndGet();
		}

		int distinct() {
			return this.counts.size();
		}

		int total() {
			return this.counts.values().stream().mapToInt(AtomicInteger::get).sum();
		}

	}

	static class RecordListener {

		final Handled handled;

		RecordListener(Handled handled) {
			this.handled = handled;
		}

		@KafkaListener(topics = "${test.topic}", groupId = "${test.group}")
		void onRecord(ConsumerRecord<String, String> record) {
			this.handled.add(record.value());
		}

	}

	/** Manual AckModes: the listener acknowledges. */
	static class AcknowledgingRecordListener {

		final Handled handled;

		AcknowledgingRecordListener(Handled handled) {
			this.handled = handled;
		}

		@KafkaListener(topics = "${test.topic}", groupId = "${test.group}")
		void onRecord(ConsumerRecord<String, String> record, Acknowledgment ack) {
			this.handled.add(record.value());
			ack.acknowledge();
		}

	}

	static class BatchListener {

		final Handled handled;

		BatchListener(Handled handled) {
			this.handled = handled;
		}

		@KafkaListener(topics = "${test.topic}", groupId = "${test.group}")
		void onBatch(List<ConsumerRecord<String, String>> records) {
			records.forEach(record -> this.handled.add(record.value()));
		}

	}

	static class AcknowledgingBatchListener {

		final Handled handled;

		AcknowledgingBatchListener(Handled handled) {
			this.handled = handled;
		}

		@KafkaListener(topics = "${test.topic}", groupId = "${test.group}")
		void onBatch(List<ConsumerRecord<String, String>> records, Acknowledgment ack) {
			records.forEach(record -> this.handled.add(record.value()));
			ack.acknowledge();
		}

	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class App {

		private static final String MANUAL = "'${spring.kafka.listener.ack-mode}'.startsWith('MANUAL')";

		private static final String BATCH = "'${spring.kafka.listener.type}' == 'batch'";

		@Bean
		Handled handled() {
			return new Handled();
		}

		@Bean
		@ConditionalOnExpression("!(" + BATCH + ") && !(" + MANUAL + ")")
		RecordListener recordListener(Handled handled) {
			return new RecordListener(handled);
		}

		@Bean
		@ConditionalOnExpression("!(" + BATCH + ") && " + MANUAL)
		AcknowledgingRecordListener acknowledgingRecordListener(Handled handled) {
			return new AcknowledgingRecordListener(handled);
		}

		@Bean
		@ConditionalOnExpression(BATCH + " && !(" + MANUAL + ")")
		BatchListener batchListener(Handled handled) {
			return new BatchListener(handled);
		}

		@Bean
		@ConditionalOnExpression(BATCH + " && " + MANUAL)
		AcknowledgingBatchListener acknowledgingBatchListener(Handled handled) {
			return new AcknowledgingBatchListener(handled);
		}

	}

	/**
	 * Sees each poll (to learn which id sits at which offset) and each successful commit, on the consumer
	 * thread, and checks the store at that moment. Found by kafka-clients through {@code interceptor.classes};
	 * the test hands it the store.
	 */
	public static class CommitChecker implements ConsumerInterceptor<Object, Object> {

		private static final Map<String, Watch> WATCHES = new ConcurrentHashMap<>();

		private String group = "";

		static void watch(String group, DedupStore store, DedupKeys keys, int lagAllowed) {
			WATCHES.put(group, new Watch(store, keys, lagAllowed));
		}

		static List<String> violations(String group) {
			return WATCHES.get(group).violations;
		}

		static int commits(String group) {
			return WATCHES.get(group).commits.get();
		}

		static long highestCommitted(String group) {
			Watch watch = WATCHES.get(group);
			return watch == null ? -1 : watch.highest;
		}

		@Override
		public void configure(Map<String, ?> configs) {
			Object group = configs.get("group.id");
			this.group = group == null ? "" : group.toString();
		}

		@Override
		public ConsumerRecords<Object, Object> onConsume(ConsumerRecords<Object, Object> records) {
			Watch watch = WATCHES.get(this.group);
			if (watch != null) {
				for (ConsumerRecord<Object, Object> record : records) {
					Header id = record.headers().lastHeader("dedup-id");
					watch.ids.put(record.offset(), new String(id.value(), StandardCharsets.UTF_8));
				}
			}
			return records;
		}

		@Override
		public void onCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {
			Watch watch = WATCHES.get(this.group);
			if (watch == null) {
				return;
			}
			for (OffsetAndMetadata committed : offsets.values()) {
				watch.commits.incrementAndGet();
				watch.highest = Math.max(watch.highest, committed.offset());
				long checkBelow = watch.lagAllowed == Integer.MAX_VALUE ? -1 : committed.offset() - watch.lagAllowed;
				for (long offset = 0; offset < checkBelow; offset++) {
					String id = watch.ids.get(offset);
					if (id == null) {
						continue; // polled before the watch began
					}
					StoredEntry entry = watch.store.inspect(watch.keys.kafka(this.group, id)).orElse(null);
					if (entry == null || entry.state() != StoredEntry.State.CONSUMED) {
						watch.violations.add("commit of " + committed.offset() + " covers offset " + offset + " (" + id
								+ ") while the store holds " + entry);
					}
				}
			}
		}

		@Override
		public void close() {
		}

		private static final class Watch {

			final DedupStore store;

			final DedupKeys keys;

			final int lagAllowed;

			final Map<Long, String> ids = new ConcurrentHashMap<>();

			final List<String> violations = new CopyOnWriteArrayList<>();

			final AtomicInteger commits = new AtomicInteger();

			volatile long highest = -1;

			Watch(DedupStore store, DedupKeys keys, int lagAllowed) {
				this.store = store;
				this.keys = keys;
				this.lagAllowed = lagAllowed;
			}

		}

	}

}
