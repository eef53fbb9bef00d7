package dev.dedup.kafka.integration;

import java.time.Duration;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.data.redis.connection.RedisConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.kafka.annotation.KafkaListener;

/**
 * The consumer app of {@link KafkaFaultMatrixTests}, run as a child JVM so it can be killed. Its side effect
 * is an INCR per message id in a Redis of its own ({@code test.effects-url}, never the dedup store the test
 * freezes and kills). A payload starting with {@code slow-} takes {@code test.slow-millis}, longer than the
 * lease. No dedup code: the dependencies and properties only.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
public class FaultMatrixConsumer {

	public static void main(String[] args) {
		SpringApplication.run(FaultMatrixConsumer.class, args);
	}

	@Bean(destroyMethod = "destroy")
	LettuceConnectionFactory effectsConnection(@Value("${test.effects-url}") String url) {
		RedisConfiguration configuration = LettuceConnectionFactory.createRedisConfiguration(url);
		LettuceConnectionFactory factory = new LettuceConnectionFactory(configuration);
		factory.afterPropertiesSet();
		factory.start();
		return factory;
	}

	@Bean
	Handler handler(LettuceConnectionFactory effectsConnection) {
		return new Handler(new StringRedisTemplate(effectsConnection));
	}

	static class Handler {

		private final StringRedisTemplate effects;

		@Value("${test.effects-prefix}")
		String prefix;

		@Value("${test.slow-millis:0}")
		long slowMillis;

		Handler(StringRedisTemplate effects) {
			this.effects = effects;
		}

		@KafkaListener(topics = "${test.topic}", groupId = "${test.group}")
		void onMessage(ConsumerRecord<String, String> record) throws InterruptedException {
			String payload = record.value();
			if (payload.startsWith("slow-")) {
				Thread.sleep(this.slowMillis);
			}
			this.effects.opsForHash().increment(this.prefix, payload, 1);
			this.effects.expire(this.prefix, Duration.ofHours(1));
		}

	}

}
