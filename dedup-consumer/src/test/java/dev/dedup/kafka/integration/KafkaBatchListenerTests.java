package dev.dedup.kafka.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.listener.BatchListenerFailedException;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.messaging.Message;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.util.backoff.FixedBackOff;

import dev.dedup.core.key.DedupKeys;
import dev.dedup.core.store.ClaimOutcome;
import dev.dedup.core.store.DedupStore;
import dev.dedup.kafka.listener.Deduplicate;
import dev.dedup.kafka.poll.DedupKafkaStats;
import dev.dedup.kafka.poll.DedupKafkaStats.Event;
import dev.dedup.test.services.TestRedis;

/**
 * Batch listeners ({@code spring.kafka.listener.type=batch}, Boot's own factory) on a real broker and the
 * real Redis, with an error handler that gives up after 3 quick attempts, so a dedup wait that spent the
 * budget would show as a lost record.
 */
@SpringBootTest(classes = KafkaBatchListenerTests.App.class)
class KafkaBatchListenerTests {

	static final String RUN = UUID.randomUUID().toString().substring(0, 8);

	static final String TOPIC = "batch-orders-" + RUN;

	static final String GROUP = "batch-billing-" + RUN;

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		TestKafka.get()
			.consumerApp(TOPIC, 2, GROUP, "batch-" + RUN, TestRedis.get().url())
			.forEach((name, value) -> registry.add(name, () -> value));
		registry.add("spring.kafka.listener.type", () -> "batch");
		for (String style : List.of("values", "messages", "records", "skip")) {
			TestKafka.get().createTopic(TOPIC + "-" + style, 2);
		}
		registry.add("dedup.kafka.lease", () -> "2s");
	}

	@Autowired
	BatchListener listener;

	@Autowired
	DedupStore store;

	@Autowired
	DedupKeys keys;

	@Autowired
	DedupKafkaStats stats;

	@Autowired
	SignatureListeners signatures;

	@Test
	void duplicatesInsideABatchAcrossBatchesAndAcrossPartitionsRunOnce() {
		String a = unique("a");
		String b = unique("b");
		String c = unique("c");
		// Keys spread the copies over both partitions; one send makes them (mostly) one batch.
		TestKafka.get().send(TOPIC, List.of(a, b, a, c, b, a));
		await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
			assertThat(this.listener.handled(a)).isEqualTo(1);
			assertThat(this.listener.handled(b)).isEqualTo(1);
			assertThat(this.listener.handled(c)).isEqualTo(1);
		});
		TestKafka.get().send(TOPIC, List.of(c, a));
		String marker = unique("marker");
		TestKafka.get().send(TOPIC, List.of(marker));
		await().atMost(Duration.ofSeconds(30)).until(() -> this.listener.handled(marker) == 1);
		assertThat(this.listener.handled(a)).isEqualTo(1);
		assertThat(this.listener.handled(c)).isEqualTo(1);
		assertThat(this.store.claim(this.keys.kafka(GROUP, a), "probe", Duration.ofSeconds(1)).outcome())
			.isEqualTo(ClaimOutcome.DUPLICATE);
	}

	@Test
	void aBatchOfDuplicatesOnlyDoesNotCallTheListener() {
		String a = unique("a");
		TestKafka.get().send(TOPIC, List.of(a));
		await().atMost(Duration.ofSeconds(30)).until(() -> this.listener.handled(a) == 1);
		int batches = this.listener.batches.size();
		long duplicates = this.stats.count(Event.DUPLICATE);
		TestKafka.get().send(TOPIC, List.of(a, a));
		await().atMost(Duration.ofSeconds(30)).until(() -> this.stats.count(Event.DUPLICATE) >= duplicates + 2);
		assertThat(this.listener.batches.subList(batches, this.listener.batches.size()))
			.as("the listener saw no copy of %s", a)
			.noneMatch(batch -> batch.contains(a));
		assertThat(this.listener.batches).noneMatch(List::isEmpty);
	}

	@Test
	void aBatchListenerFailedExceptionMarksTheRecordsBeforeItAndRetriesTheRest() {
		String first = unique("first");
		String failing = unique("fail-by-index");
		String after = unique("after");
		this.listener.failuresToInject.put(failing, new AtomicInteger(1));
		// The listener throws by index into the list it got, which dedup filtered: the index must still name
		// the failing record, or the error handler would commit past it.
		String dup = unique("dup");
		TestKafka.get().send(TOPIC, List.of(dup));
		await().atMost(Duration.ofSeconds(30)).until(() -> this.listener.handled(dup) == 1);
		TestKafka.get().send(TOPIC, List.of(dup, first, failing, after));
		await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
			assertThat(this.listener.handled(first)).isEqualTo(1);
			assertThat(this.listener.handled(failing)).isEqualTo(1);
			assertThat(this.listener.handled(after)).isEqualTo(1);
		});
		assertThat(this.listener.attempts(failing)).isEqualTo(2);
		assertThat(this.listener.handled(dup)).isEqualTo(1);
	}

	@Test
	void anyOtherExceptionReleasesTheWholeBatch() {
		String boom = unique("boom");
		String other = unique("other");
		this.listener.failuresToInject.put(boom, new AtomicInteger(1));
		TestKafka.get().send(TOPIC, List.of(boom, other));
		await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
			assertThat(this.listener.handled(boom)).isEqualTo(1);
			assertThat(this.listener.handled(other)).isEqualTo(1);
		});
	}

	@Test
	void aRecordHeldByAnotherConsumerWaitsWithoutSpendingTheRetryBudgetAndRunsOnce() {
		String before = unique("before");
		String held = unique("held");
		String next = unique("next");
		// Another consumer holds the id for 3 s: longer than the error handler's 3 attempts of 100 ms.
		assertThat(this.store.claim(this.keys.kafka(GROUP, held), "someone-else", Duration.ofSeconds(3)).outcome())
			.isEqualTo(ClaimOutcome.ACQUIRED);
		long waits = this.stats.count(Event.IN_PROGRESS_RETRIED);
		TestKafka.get().send(TOPIC, List.of(before, held, next));
		await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
			assertThat(this.listener.handled(before)).isEqualTo(1);
			assertThat(this.listener.handled(held)).isEqualTo(1);
			assertThat(this.listener.handled(next)).isEqualTo(1);
		});
		assertThat(this.stats.count(Event.IN_PROGRESS_RETRIED)).isGreaterThan(waits);
	}

	@Test
	void everyBatchSignatureSeesEachIdOnce() {
		for (String style : List.of("values", "messages", "records")) {
			String x = unique(style + "-x");
			String y = unique(style + "-y");
			TestKafka.get().send(TOPIC + "-" + style, List.of(x, y, x, y, x));
			await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
				assertThat(this.signatures.handled(x)).as(style).isEqualTo(1);
				assertThat(this.signatures.handled(y)).as(style).isEqualTo(1);
			});
		}
		String marker = unique("values-marker");
		TestKafka.get().send(TOPIC + "-values", List.of(marker));
		await().atMost(Duration.ofSeconds(30)).until(() -> this.signatures.handled(marker) == 1);
		assertThat(this.signatures.handled.values()).allSatisfy(count -> assertThat(count.get()).isEqualTo(1));
	}

	@Test
	void deduplicateOnABatchListenerSkipsARecordHeldElsewhereUnderOnInProgressSkip() {
		String held = unique("held");
		String free = unique("free");
		assertThat(this.store.claim(this.keys.kafka(GROUP + "-skip", held), "someone-else", Duration.ofMinutes(1))
			.outcome()).isEqualTo(ClaimOutcome.ACQUIRED);
		long skipped = this.stats.count(Event.IN_PROGRESS_SKIPPED);
		TestKafka.get().send(TOPIC + "-skip", List.of(held, free));
		await().atMost(Duration.ofSeconds(30)).until(() -> this.signatures.handled(free) == 1);
		await().atMost(Duration.ofSeconds(10)).until(() -> this.stats.count(Event.IN_PROGRESS_SKIPPED) > skipped);
		assertThat(this.signatures.handled(held)).isZero();
	}

	private static String unique(String name) {
		return name + "-" + UUID.randomUUID().toString().substring(0, 8);
	}

	static class BatchListener {

		final List<List<String>> batches = new CopyOnWriteArrayList<>();

		final Map<String, AtomicInteger> handled = new ConcurrentHashMap<>();

		final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();

		final Map<String, AtomicInteger> failuresToInject = new ConcurrentHashMap<>();

		@KafkaListener(topics = "${test.topic}", groupId = "${test.group}")
		void onBatch(List<ConsumerRecord<String, String>> records) {
			this.batches.add(records.stream().map(ConsumerRecord::value).toList());
			for (int i = 0; i < records.size(); i++) {
				String payload = records.get(i).value();
				this.attempts.computeIfAbsent(payload, p -> new AtomicInteger()).incrementAndGet();
				AtomicInteger failures = this.failuresToInject.get(payload);
				if (failures != null && failures.getAndDecrement() > 0) {
					if (payload.startsWith("fail-by-index")) {
						throw new BatchListenerFailedException("injected failure for " + payload, i);
					}
					throw new IllegalStateException("injected failure for " + payload);
				}
				this.handled.computeIfAbsent(payload, p -> new AtomicInteger()).incrementAndGet();
			}
		}

		int handled(String payload) {
			AtomicInteger count = this.handled.get(payload);
			return count == null ? 0 : count.get();
		}

		int attempts(String payload) {
			AtomicInteger count = this.attempts.get(payload);
			return count == null ? 0 : count.get();
		}

	}

	/** The other batch signatures spring-kafka offers, each on its own topic and group. */
	static class SignatureListeners {

		final Map<String, AtomicInteger> handled = new ConcurrentHashMap<>();

		@KafkaListener(topics = "${test.topic}-values", groupId = "${test.group}-values")
		void onValues(List<String> values) {
			values.forEach(this::count);
		}

		@KafkaListener(topics = "${test.topic}-messages", groupId = "${test.group}-messages")
		void onMessages(List<Message<String>> messages) {
			messages.forEach(message -> count(message.getPayload()));
		}

		@KafkaListener(topics = "${test.topic}-records", groupId = "${test.group}-records")
		void onRecords(ConsumerRecords<String, String> records) {
			records.forEach(record -> count(record.value()));
		}

		@KafkaListener(topics = "${test.topic}-skip", groupId = "${test.group}-skip")
		@Deduplicate(onInProgress = Deduplicate.OnInProgress.SKIP)
		void onSkipping(List<String> values) {
			values.forEach(this::count);
		}

		private void count(String payload) {
			this.handled.computeIfAbsent(payload, p -> new AtomicInteger()).incrementAndGet();
		}

		int handled(String payload) {
			AtomicInteger count = this.handled.get(payload);
			return count == null ? 0 : count.get();
		}

	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class App {

		@Bean
		SignatureListeners signatureListeners() {
			return new SignatureListeners();
		}

		@Bean
		BatchListener batchListener() {
			return new BatchListener();
		}

		@Bean
		DefaultErrorHandler errorHandler() {
			return new DefaultErrorHandler(new FixedBackOff(100, 2));
		}

	}

}
