package dev.dedup.kafka.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.argThat;
import static org.mockito.Mockito.atLeastOnce;
import static org.mockito.Mockito.verify;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.mockito.Mockito;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.MessageListenerContainer;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.util.backoff.FixedBackOff;

import dev.dedup.core.key.DedupKeys;
import dev.dedup.core.store.ClaimOutcome;
import dev.dedup.core.store.DedupStore;
import dev.dedup.kafka.poll.DedupKafkaStats;
import dev.dedup.redis.RedisDedupStore;
import dev.dedup.test.services.TestRedis;

/**
 * End to end on a real broker and the real Redis: Boot's own listener container factory, dedup installed
 * by auto-configuration alone, and an error handler that gives up after 3 attempts (so a dedup wait that
 * spent its budget would show as a lost message).
 */
@SpringBootTest(classes = KafkaDedupIntegrationTests.App.class)
class KafkaDedupIntegrationTests {

	static final String RUN = UUID.randomUUID().toString().substring(0, 8);

	static final String TOPIC = "orders-" + RUN;

	static final String GROUP = "billing-" + RUN;

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		TestKafka.get()
			.consumerApp(TOPIC, 2, GROUP, "it-" + RUN, TestRedis.get().url())
			.forEach((name, value) -> registry.add(name, () -> value));
		registry.add("dedup.kafka.lease", () -> "2s");
		registry.add("spring.kafka.consumer.properties.interceptor.classes",
				CountingConsumerInterceptor.class::getName);
	}

	@Autowired
	KafkaTemplate<String, String> template;

	@Autowired
	RecordingListener listener;

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
	void usesTheRedisStoreFromAutoConfiguration() {
		assertThat(this.store).isInstanceOf(RedisDedupStore.class);
	}

	@Test
	void duplicatesByHeaderAreHandledOnce() {
		String a = unique("a");
		String b = unique("b");
		String c = unique("c");
		for (String id : List.of(a, b, a, c, b, a)) {
			send(id, id);
		}
		await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
			assertThat(this.listener.handledCount(a)).isEqualTo(1);
			assertThat(this.listener.handledCount(b)).isEqualTo(1);
			assertThat(this.listener.handledCount(c)).isEqualTo(1);
			assertThat(this.store.claim(this.keys.kafka(GROUP, c), "probe", Duration.ofSeconds(1)).outcome())
				.isEqualTo(ClaimOutcome.DUPLICATE);
		});
		// The later copies must have been seen and skipped, not merely not arrived yet.
		await().atMost(Duration.ofSeconds(30))
			.untilAsserted(() -> assertThat(this.stats.count(DedupKafkaStats.Event.DUPLICATE)).isGreaterThanOrEqualTo(3));
		assertThat(this.listener.attemptCount(a)).isEqualTo(1);
	}

	@Test
	void aFailedHandlerIsRedeliveredAndProcessedExactlyOnce() {
		String id = unique("flaky");
		this.listener.failuresToInject.put(id, new AtomicInteger(1));
		send(id, id);
		await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(this.listener.handledCount(id)).isEqualTo(1));
		assertThat(this.listener.attemptCount(id)).isEqualTo(2);
		send(id, id); // a resend after success is a duplicate
		String marker = unique("marker");
		send(marker, marker);
		await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(this.listener.handledCount(marker)).isEqualTo(1));
		assertThat(this.listener.handledCount(id)).isEqualTo(1);
	}

	@Test
	void aRecordWithoutIdFallsBackToItsOffsetAndIsNotLost() {
		String first = unique("no-id-1");
		String second = unique("no-id-2");
		this.template.send(new ProducerRecord<>(TOPIC, first));
		this.template.send(new ProducerRecord<>(TOPIC, second));
		await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
			assertThat(this.listener.handledCount(first)).isEqualTo(1);
			assertThat(this.listener.handledCount(second)).isEqualTo(1);
		});
	}

	@Test
	void aTenKilobyteIdIsHashedIntoTheKeyAndStillDeduplicates() {
		String hugeId = unique("x".repeat(10 * 1024));
		String payload = unique("huge");
		send(hugeId, payload);
		send(hugeId, payload);
		String marker = unique("marker");
		send(marker, marker);
		await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
			assertThat(this.listener.handledCount(payload)).isEqualTo(1);
			assertThat(this.listener.handledCount(marker)).isEqualTo(1);
		});
		String key = this.keys.kafka(GROUP, hugeId);
		assertThat(key).contains(":sha256:").hasSizeLessThanOrEqualTo(this.store.maxKeyLength());
		assertThat(this.redis.hasKey(key)).isTrue();
	}

	@Test
	void anIdWithControlCharactersFallsBackToTheOffsetAndIsNotLost() {
		String payload = unique("ctrl");
		send("bad\nid\u0000" + payload, payload);
		await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(this.listener.handledCount(payload)).isEqualTo(1));
		assertThat(this.stats.count(DedupKafkaStats.Event.MISSING_ID_OFFSET)).isPositive();
	}

	@Test
	void aRecordHeldByAnotherConsumerWaitsWithoutSpendingTheRetryBudgetThenRunsOnceWhenItsLeaseExpires()
			throws Exception {
		String id = unique("held");
		String key = this.keys.kafka(GROUP, id);
		// Another consumer holds the id with a short lease it keeps renewing for 4 s, then dies.
		assertThat(this.store.claim(key, "other-consumer", Duration.ofMillis(300)).outcome())
			.isEqualTo(ClaimOutcome.ACQUIRED);
		ScheduledExecutorService other = Executors.newSingleThreadScheduledExecutor();
		other.scheduleAtFixedRate(() -> this.store.renew(key, "other-consumer", Duration.ofMillis(300)), 100, 100,
				TimeUnit.MILLISECONDS);
		long retriedBefore = this.stats.count(DedupKafkaStats.Event.IN_PROGRESS_RETRIED);
		send(id, id);
		Thread.sleep(4000);
		other.shutdownNow();
		assertThat(this.listener.attemptCount(id)).isZero();
		// More waits than the error handler's 3 attempts: the budget was not spent on them.
		assertThat(this.stats.count(DedupKafkaStats.Event.IN_PROGRESS_RETRIED) - retriedBefore).isGreaterThan(3);
		await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(this.listener.handledCount(id)).isEqualTo(1));
		assertThat(this.listener.attemptCount(id)).isEqualTo(1);
	}

	@Test
	void aRecordHeldByAnotherConsumerThatFinishesIsSkippedAsDuplicate() throws Exception {
		String id = unique("finished-elsewhere");
		String key = this.keys.kafka(GROUP, id);
		assertThat(this.store.claim(key, "other-consumer", Duration.ofSeconds(20)).outcome())
			.isEqualTo(ClaimOutcome.ACQUIRED);
		send(id, id);
		await().atMost(Duration.ofSeconds(10))
			.until(() -> this.stats.count(DedupKafkaStats.Event.IN_PROGRESS_RETRIED) > 0);
		assertThat(this.store.complete(key, "other-consumer", Duration.ofMinutes(5), null)).isTrue();
		String marker = unique("marker");
		send(marker, marker);
		await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(this.listener.handledCount(marker)).isEqualTo(1));
		assertThat(this.listener.attemptCount(id)).isZero();
	}

	@Test
	void recordsThatArriveTogetherAreClaimedInOneStoreCallAndEachHandledOnce() {
		List<String> ids = List.of(unique("p1"), unique("p2"), unique("p3"), unique("p4"), unique("p5"), unique("p6"));
		this.registry.getListenerContainers().forEach(MessageListenerContainer::pause);
		try {
			// Paused for real, not merely asked to: a poll already under way would take records one by one.
			await().atMost(Duration.ofSeconds(30)).until(() -> this.registry.getListenerContainers()
				.stream()
				.allMatch(MessageListenerContainer::isContainerPaused));
			ids.forEach(id -> send(id, id));
			this.template.flush();
		}
		finally {
			this.registry.getListenerContainers().forEach(MessageListenerContainer::resume);
		}
		await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> ids
			.forEach(id -> assertThat(this.listener.handledCount(id)).as(id).isEqualTo(1)));
		assertThat(CountingConsumerInterceptor.records()).as("the application's own consumer interceptor still runs")
			.isGreaterThanOrEqualTo(ids.size());
		// The resumed consumer fetched the waiting records in one poll and claimed them in one call (as a poll:
		// on one Redis server its keys share one row).
		verify(this.store, atLeastOnce()).claimPoll(argThat(keys -> keys.size() > 1 && keys.stream()
			.anyMatch(key -> key.contains(ids.get(0)))), anyString(), any(), any());
		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> ids.forEach(id -> assertThat(
				this.store.claim(this.keys.kafka(GROUP, id), "probe", Duration.ofSeconds(1)).outcome())
			.isEqualTo(ClaimOutcome.DUPLICATE)));
	}

	private void send(String dedupId, String payload) {
		this.template.send(TestKafka.record(TOPIC, null, payload, dedupId));
	}

	private static String unique(String name) {
		return name + "-" + UUID.randomUUID();
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class App {

		@Bean
		RecordingListener recordingListener() {
			return new RecordingListener();
		}

		/** The auto-configured store, observed: a Mockito spy of a class stays an instance of that class. */
		@Bean
		static BeanPostProcessor observeDedupStore() {
			return new BeanPostProcessor() {

				@Override
				public Object postProcessAfterInitialization(Object bean, String beanName) {
					return bean instanceof DedupStore ? Mockito.spy(bean) : bean;
				}

			};
		}

		/** Gives up after 3 attempts, far fewer than a dedup wait may take. */
		@Bean
		DefaultErrorHandler errorHandler() {
			return new DefaultErrorHandler(new FixedBackOff(0, 2));
		}

	}

}
