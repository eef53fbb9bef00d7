package dev.dedup.kafka.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

import dev.dedup.test.services.ChildJvm;
import dev.dedup.test.services.TestRedis;

/**
 * A consumer killed with SIGKILL inside its handler: after its lease expires another consumer of the group
 * processes that message exactly once, and the messages the dead consumer had processed and marked but not
 * committed are recognised as duplicates (a record listener marks each; a batch listener marks its batch
 * when it returns, so the killed batch's earlier records run once more). Both consumers are child JVMs of {@link CrashableConsumer}, an app with no
 * dedup code of its own.
 */
class ConsumerCrashTests {

	@ParameterizedTest(name = "{0} listener")
	@ValueSource(strings = { "single", "batch", "plain" })
	void aConsumerKilledMidHandlerIsTakenOverAfterTheLeaseAndNothingIsLost(String listenerType) throws Exception {
		String run = UUID.randomUUID().toString().substring(0, 8);
		String topic = "crash-" + run;
		String effects = "crash-effects-" + run;
		Map<String, Object> properties = TestKafka.get()
			.consumerApp(topic, 1, "crash-group-" + run, "crash-" + run, TestRedis.get().url());
		properties.put("dedup.kafka.lease", "3s");
		properties.put("spring.kafka.listener.type", listenerType.equals("batch") ? "batch" : "single");
		Class<?> app = listenerType.equals("plain") ? PlainLoopConsumer.class : CrashableConsumer.class;
		// The broker notices the killed consumer after this long (default 45 s); 6 s is the broker's minimum.
		properties.put("spring.kafka.consumer.properties.session.timeout.ms", "6000");
		properties.put("spring.kafka.consumer.properties.heartbeat.interval.ms", "1000");
		properties.put("test.effects-prefix", effects);
		TestKafka.get().send(topic, List.of("a1", "a2", "a1", "a3", "block-1", "a4", "a2"));

		StringRedisTemplate redis = redis();
		Map<String, Object> first = new HashMap<>(properties);
		first.put("test.block", "true");
		try (ChildJvm doomed = ChildJvm.start(app, "crash-first-" + run, first)) {
			await().atMost(Duration.ofSeconds(90))
				.failFast("first consumer exited early:\n" + doomed.output(), () -> !doomed.isAlive())
				.until(() -> Boolean.TRUE.equals(redis.hasKey(effects + ":started:block-1")));
			doomed.kill();
		}
		// The dead consumer processed a1..a3 and claimed block-1; nothing was committed after its last poll.
		assertThat(count(redis, effects, "block-1")).isZero();

		try (ChildJvm survivor = ChildJvm.start(app, "crash-second-" + run, properties)) {
			await().atMost(Duration.ofSeconds(90))
				.failFast("second consumer exited early:\n" + survivor.output(), () -> !survivor.isAlive())
				.untilAsserted(() -> {
					assertThat(count(redis, effects, "block-1")).isEqualTo(1);
					assertThat(count(redis, effects, "a4")).isEqualTo(1);
				});
			Thread.sleep(1000); // let any straggling duplicate arrive before counting
			assertThat(count(redis, effects, "block-1")).isEqualTo(1);
			assertThat(count(redis, effects, "a4")).isEqualTo(1);
			for (String payload : List.of("a1", "a2", "a3")) {
				// A record listener marked each before the next ran. A batch (or a plain loop's poll) is marked
				// when its listener returns: the killed batch's records before block-1 ran, unmarked, and run
				// once more (the documented window), never more, never lost.
				assertThat(count(redis, effects, payload)).as(payload)
					.isBetween(1L, listenerType.equals("single") ? 1L : 2L);
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

	private static StringRedisTemplate redis() {
		TestRedis testRedis = TestRedis.get();
		LettuceConnectionFactory factory = new LettuceConnectionFactory(
				new RedisStandaloneConfiguration(testRedis.host(), testRedis.port()));
		factory.afterPropertiesSet();
		factory.start();
		return new StringRedisTemplate(factory);
	}

}
