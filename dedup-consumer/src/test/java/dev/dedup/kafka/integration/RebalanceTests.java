package dev.dedup.kafka.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

import dev.dedup.kafka.poll.DedupKafkaStats;
import dev.dedup.test.services.TestRedis;

/**
 * Two consumers in one group, a second joining and the first leaving while records are in flight, with
 * every message also resent by the producer: no payload is handled twice and none is lost.
 */
class RebalanceTests {

	@Test
	void twoConsumersAndTwoRebalancesHandleEveryMessageExactlyOnce() throws Exception {
		String run = UUID.randomUUID().toString().substring(0, 8);
		String topic = "rebalance-" + run;
		TestKafka kafka = TestKafka.get();
		Map<String, Object> properties = kafka.consumerApp(topic, 4, "rebalance-group-" + run, "rebalance-" + run,
				TestRedis.get().url());
		properties.put("spring.kafka.consumer.max-poll-records", "20");

		List<String> payloads = new ArrayList<>();
		for (int i = 0; i < 300; i++) {
			payloads.add(run + "-m" + i);
		}
		try (KafkaProducer<String, String> producer = kafka.producer()) {
			for (String payload : payloads) {
				producer.send(TestKafka.record(topic, payload, payload, payload));
				// The resend has another key, so it may land on another partition and race the original.
				producer.send(TestKafka.record(topic, payload + "-resend", payload, payload));
			}
			producer.flush();
		}

		ConfigurableApplicationContext first = TestContexts.start(properties);
		DedupKafkaStats firstStats = first.getBean(DedupKafkaStats.class);
		ConfigurableApplicationContext second = null;
		try {
			await().atMost(Duration.ofSeconds(60)).until(() -> handled(payloads) >= 100);
			second = TestContexts.start(properties);
			await().atMost(Duration.ofSeconds(60)).until(() -> handled(payloads) >= 200);
			first.close();
			await().atMost(Duration.ofSeconds(90)).until(() -> handled(payloads) == payloads.size());
			// Every resend is skipped, some only after a wait: a copy that finds its original's poll still open
			// (its mark waits for the poll's one write) retries after up to 5 s. Counted once all were seen.
			DedupKafkaStats secondStats = second.getBean(DedupKafkaStats.class);
			await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(
					secondStats.count(DedupKafkaStats.Event.DUPLICATE) + firstStats.count(DedupKafkaStats.Event.DUPLICATE))
				.isGreaterThanOrEqualTo(payloads.size()));
			for (String payload : payloads) {
				assertThat(SharedEffects.count(payload)).as(payload).isEqualTo(1);
			}
		}
		finally {
			first.close();
			if (second != null) {
				second.close();
			}
		}
	}

	private static long handled(List<String> payloads) {
		return payloads.stream().filter(p -> SharedEffects.count(p) > 0).count();
	}

}
