package dev.dedup.kafka.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

import dev.dedup.kafka.listener.DedupKafkaStats;
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
		kafka.createTopic(topic, 4);
		Map<String, Object> properties = new HashMap<>();
		properties.put("spring.kafka.bootstrap-servers", kafka.bootstrapServers());
		properties.put("spring.kafka.consumer.auto-offset-reset", "earliest");
		properties.put("spring.kafka.consumer.max-poll-records", "20");
		properties.put("spring.data.redis.url", TestRedis.get().url());
		properties.put("dedup.store", "redis");
		properties.put("dedup.key-prefix", "rebalance-" + run);
		properties.put("test.topic", topic);
		properties.put("test.group", "rebalance-group-" + run);

		List<String> payloads = new ArrayList<>();
		for (int i = 0; i < 300; i++) {
			payloads.add(run + "-m" + i);
		}
		try (KafkaProducer<String, String> producer = producer(kafka)) {
			for (String payload : payloads) {
				producer.send(record(topic, payload, payload));
				// The resend has another key, so it may land on another partition and race the original.
				producer.send(record(topic, payload, payload + "-resend"));
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
			Thread.sleep(1000); // any straggling copy would be handled by now
			for (String payload : payloads) {
				assertThat(SharedEffects.count(payload)).as(payload).isEqualTo(1);
			}
			assertThat(second.getBean(DedupKafkaStats.class).count(DedupKafkaStats.Event.DUPLICATE)
					+ firstStats.count(DedupKafkaStats.Event.DUPLICATE))
				.isGreaterThanOrEqualTo(payloads.size());
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

	private static ProducerRecord<String, String> record(String topic, String payload, String key) {
		ProducerRecord<String, String> record = new ProducerRecord<>(topic, key, payload);
		record.headers().add("dedup-id", payload.getBytes(StandardCharsets.UTF_8));
		return record;
	}

	private static KafkaProducer<String, String> producer(TestKafka kafka) {
		Properties config = new Properties();
		config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
		return new KafkaProducer<>(config, new StringSerializer(), new StringSerializer());
	}

}
