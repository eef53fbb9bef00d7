package dev.dedup.kafka.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

import dev.dedup.kafka.poll.DedupKafkaStats;
import dev.dedup.kafka.poll.DedupKafkaStats.Event;
import dev.dedup.test.services.PrivateRedisServer;

/**
 * The store goes down while messages arrive: a private redis-server (never the shared one) is stopped and
 * started again. Fail-closed runs nothing until the store is back, then everything exactly once; fail-open
 * runs the handler unprotected and counts it.
 */
class StoreOutageTests {

	private PrivateRedisServer redis;

	private String run;

	@BeforeEach
	void startRedis() {
		this.redis = new PrivateRedisServer();
		this.run = UUID.randomUUID().toString().substring(0, 8);
	}

	@AfterEach
	void stopRedis() {
		this.redis.close();
	}

	@Test
	void failClosedProcessesNothingWhileTheStoreIsDownThenEverythingExactlyOnce() throws Exception {
		String topic = "outage-closed-" + this.run;
		try (ConfigurableApplicationContext app = TestContexts.start(properties(topic, "fail-closed"))) {
			DedupKafkaStats stats = app.getBean(DedupKafkaStats.class);
			String warmUp = this.run + "-warm-up";
			TestKafka.get().send(topic, List.of(warmUp));
			await().atMost(Duration.ofSeconds(60)).until(() -> SharedEffects.count(warmUp) == 1);

			this.redis.stop();
			List<String> during = List.of(this.run + "-d1", this.run + "-d2", this.run + "-d3", warmUp);
			TestKafka.get().send(topic, during);
			await().atMost(Duration.ofSeconds(30)).until(() -> stats.count(Event.STORE_UNAVAILABLE_RETRIED) >= 3);
			assertThat(during).allSatisfy(payload -> assertThat(SharedEffects.count(payload))
				.isEqualTo(payload.equals(warmUp) ? 1 : 0));

			this.redis.start();
			await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(during)
				.allSatisfy(payload -> assertThat(SharedEffects.count(payload)).as(payload).isEqualTo(1)));
			assertThat(stats.count(Event.STORE_UNAVAILABLE_BYPASSED)).isZero();
		}
	}

	@Test
	void failOpenRunsTheHandlerWithoutProtectionAndCountsIt() throws Exception {
		String topic = "outage-open-" + this.run;
		try (ConfigurableApplicationContext app = TestContexts.start(properties(topic, "fail-open"))) {
			DedupKafkaStats stats = app.getBean(DedupKafkaStats.class);
			String warmUp = this.run + "-open-warm-up";
			TestKafka.get().send(topic, List.of(warmUp));
			await().atMost(Duration.ofSeconds(60)).until(() -> SharedEffects.count(warmUp) == 1);

			this.redis.stop();
			List<String> during = List.of(this.run + "-o1", this.run + "-o2");
			TestKafka.get().send(topic, during);
			await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(during)
				.allSatisfy(payload -> assertThat(SharedEffects.count(payload)).as(payload).isEqualTo(1)));
			assertThat(stats.count(Event.STORE_UNAVAILABLE_BYPASSED)).isGreaterThanOrEqualTo(2);
		}
	}

	private Map<String, Object> properties(String topic, String onStoreFailure) {
		Map<String, Object> properties = TestKafka.get()
			.consumerApp(topic, 1, topic + "-group", "outage-" + this.run, this.redis.url());
		properties.put("spring.data.redis.timeout", "500ms");
		properties.put("spring.data.redis.connect-timeout", "500ms");
		properties.put("dedup.on-store-failure", onStoreFailure);
		return properties;
	}

}
