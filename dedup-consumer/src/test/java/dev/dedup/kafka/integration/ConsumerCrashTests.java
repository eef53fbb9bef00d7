package dev.dedup.kafka.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
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
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

import dev.dedup.test.services.TestRedis;

/**
 * A consumer killed with SIGKILL inside its handler: after its lease expires another consumer of the group
 * processes that message exactly once, and the messages the dead consumer had processed but not committed
 * are recognised as duplicates. Both consumers are child JVMs of {@link CrashableConsumer}, an app with no
 * dedup code of its own.
 */
class ConsumerCrashTests {

	@Test
	void aConsumerKilledMidHandlerIsTakenOverAfterTheLeaseAndEveryMessageTakesEffectOnce() throws Exception {
		String run = UUID.randomUUID().toString().substring(0, 8);
		String topic = "crash-" + run;
		String effects = "crash-effects-" + run;
		TestKafka kafka = TestKafka.get();
		kafka.createTopic(topic, 1);
		Map<String, String> properties = new HashMap<>();
		properties.put("spring.kafka.bootstrap-servers", kafka.bootstrapServers());
		properties.put("spring.kafka.consumer.auto-offset-reset", "earliest");
		properties.put("spring.data.redis.url", TestRedis.get().url());
		properties.put("dedup.store", "redis");
		properties.put("dedup.key-prefix", "crash-" + run);
		properties.put("dedup.kafka.lease", "3s");
		properties.put("test.topic", topic);
		properties.put("test.group", "crash-group-" + run);
		properties.put("test.effects-prefix", effects);

		List<String> before = List.of("a1", "a2", "a1", "a3");
		try (KafkaProducer<String, String> producer = producer(kafka)) {
			for (String payload : before) {
				producer.send(record(topic, payload));
			}
			producer.send(record(topic, "block-1"));
			producer.send(record(topic, "a4"));
			producer.send(record(topic, "a2"));
			producer.flush();
		}

		StringRedisTemplate redis = redis();
		Map<String, String> first = new HashMap<>(properties);
		first.put("test.block", "true");
		try (ChildJvm doomed = ChildJvm.start(CrashableConsumer.class, "crash-first-" + run, first)) {
			await().atMost(Duration.ofSeconds(90))
				.failFast("first consumer exited early:\n" + doomed.output(), () -> !doomed.isAlive())
				.until(() -> Boolean.TRUE.equals(redis.hasKey(effects + ":started:block-1")));
			doomed.kill();
		}
		// The dead consumer processed a1..a3 and claimed block-1; nothing was committed after its last poll.
		assertThat(count(redis, effects, "block-1")).isZero();

		try (ChildJvm survivor = ChildJvm.start(CrashableConsumer.class, "crash-second-" + run, properties)) {
			await().atMost(Duration.ofSeconds(90))
				.failFast("second consumer exited early:\n" + survivor.output(), () -> !survivor.isAlive())
				.untilAsserted(() -> {
					assertThat(count(redis, effects, "block-1")).isEqualTo(1);
					assertThat(count(redis, effects, "a4")).isEqualTo(1);
				});
			Thread.sleep(1000); // let any straggling duplicate arrive before counting
			for (String payload : List.of("a1", "a2", "a3", "a4", "block-1")) {
				assertThat(count(redis, effects, payload)).as(payload).isEqualTo(1);
			}
		}
		finally {
			((LettuceConnectionFactory) redis.getConnectionFactory()).destroy();
		}
	}

	private static long count(StringRedisTemplate redis, String effects, String payload) {
		String value = redis.opsForValue().get(effects + ":" + payload);
		return value == null ? 0 : Long.parseLong(value);
	}

	private static ProducerRecord<String, String> record(String topic, String payload) {
		ProducerRecord<String, String> record = new ProducerRecord<>(topic, payload);
		record.headers().add("dedup-id", payload.getBytes(StandardCharsets.UTF_8));
		return record;
	}

	private static KafkaProducer<String, String> producer(TestKafka kafka) {
		Properties config = new Properties();
		config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
		return new KafkaProducer<>(config, new StringSerializer(), new StringSerializer());
	}

	private static StringRedisTemplate redis() {
		TestRedis testRedis = TestRedis.get();
		LettuceConnectionFactory factory = new LettuceConnectionFactory(
				new RedisStandaloneConfiguration(testRedis.host(), testRedis.port()));
		factory.afterPropertiesSet();
		factory.start();
		return new StringRedisTemplate(factory);
	}

}
