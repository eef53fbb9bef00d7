package dev.dedup.kafka.integration;

import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

import dev.dedup.kafka.poll.DedupPollLoop;
import dev.dedup.redis.RedisDedupStore;

/**
 * {@link CrashableConsumer}'s work as a hand-written kafka-clients poll loop with {@link DedupPollLoop}, the
 * loop of the README: poll, process, commit the position. Takes the same {@code --key=value} arguments.
 */
public final class PlainLoopConsumer {

	private PlainLoopConsumer() {
	}

	public static void main(String[] args) throws Exception {
		Map<String, String> settings = new HashMap<>();
		for (String arg : args) {
			int equals = arg.indexOf('=');
			settings.put(arg.substring(2, equals), arg.substring(equals + 1));
		}
		URI redisUrl = URI.create(settings.get("spring.data.redis.url"));
		LettuceConnectionFactory connections = new LettuceConnectionFactory(
				new RedisStandaloneConfiguration(redisUrl.getHost(), redisUrl.getPort()));
		connections.afterPropertiesSet();
		connections.start();
		StringRedisTemplate redis = new StringRedisTemplate(connections);
		String effects = settings.get("test.effects-prefix");
		boolean block = Boolean.parseBoolean(settings.getOrDefault("test.block", "false"));
		Map<String, Object> config = new HashMap<>();
		config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.get("spring.kafka.bootstrap-servers"));
		config.put(ConsumerConfig.GROUP_ID_CONFIG, settings.get("test.group"));
		config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
		config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
		config.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG,
				settings.getOrDefault("spring.kafka.consumer.properties.session.timeout.ms", "45000"));
		config.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG,
				settings.getOrDefault("spring.kafka.consumer.properties.heartbeat.interval.ms", "3000"));
		try (DedupPollLoop dedup = DedupPollLoop
			.builder(new RedisDedupStore(connections, Duration.ofSeconds(2)), settings.get("test.group"))
			.keyPrefix(settings.get("dedup.key-prefix"))
			.lease(DurationStyle.detectAndParse(settings.getOrDefault("dedup.kafka.lease", "30s")))
			.build();
				KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config, new StringDeserializer(),
						new StringDeserializer())) {
			consumer.subscribe(List.of(settings.get("test.topic")));
			while (true) {
				try {
					dedup.process(consumer, consumer.poll(Duration.ofMillis(200)),
							record -> handle(redis, effects, block, record));
				}
				catch (DedupPollLoop.HandlerFailedException ex) {
					System.err.println(ex.getMessage());
				}
				consumer.commitSync();
			}
		}
	}

	private static void handle(StringRedisTemplate redis, String effects, boolean block,
			ConsumerRecord<String, String> record) throws InterruptedException {
		String payload = record.value();
		if (block && payload.startsWith("block-")) {
			redis.opsForValue().set(effects + ":started:" + payload, "1", Duration.ofMinutes(10));
			Thread.sleep(Long.MAX_VALUE);
		}
		redis.opsForValue().increment(effects + ":" + payload);
	}

}
