package dev.dedup.kafka.integration;

import java.time.Duration;

import java.util.List;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.kafka.annotation.KafkaListener;

/**
 * A consumer app run as a child JVM by {@link ConsumerCrashTests}, so it can be killed with SIGKILL. Its
 * side effect is an INCR in Redis per payload; a payload starting with {@code block-} marks that it started
 * and then hangs (when {@code test.block=true}), giving the test a moment inside the handler to kill it.
 * The app has no dedup code: only the dependencies and {@code dedup.store=redis}.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
public class CrashableConsumer {

	public static void main(String[] args) {
		SpringApplication.run(CrashableConsumer.class, args);
	}

	@Bean
	Handler handler(StringRedisTemplate redis) {
		return new Handler(redis);
	}

	@Bean
	@ConditionalOnProperty(name = "spring.kafka.listener.type", havingValue = "single", matchIfMissing = true)
	RecordListener recordListener(Handler handler) {
		return new RecordListener(handler);
	}

	@Bean
	@ConditionalOnProperty(name = "spring.kafka.listener.type", havingValue = "batch")
	BatchListener batchListener(Handler handler) {
		return new BatchListener(handler);
	}

	static class RecordListener {

		private final Handler handler;

		RecordListener(Handler handler) {
			this.handler = handler;
		}

		@KafkaListener(topics = "${test.topic}", groupId = "${test.group}")
		void onMessage(ConsumerRecord<String, String> record) throws InterruptedException {
			this.handler.handle(record);
		}

	}

	/** The same work as a batch listener ({@code spring.kafka.listener.type=batch}). */
	static class BatchListener {

		private final Handler handler;

		BatchListener(Handler handler) {
			this.handler = handler;
		}

		@KafkaListener(topics = "${test.topic}", groupId = "${test.group}")
		void onBatch(List<ConsumerRecord<String, String>> records) throws InterruptedException {
			for (ConsumerRecord<String, String> record : records) {
				this.handler.handle(record);
			}
		}

	}

	static class Handler {

		private final StringRedisTemplate redis;

		@Value("${test.block:false}")
		boolean block;

		@Value("${test.effects-prefix}")
		String effects;

		Handler(StringRedisTemplate redis) {
			this.redis = redis;
		}

		void handle(ConsumerRecord<String, String> record) throws InterruptedException {
			String payload = record.value();
			if (this.block && payload.startsWith("block-")) {
				this.redis.opsForValue().set(this.effects + ":started:" + payload, "1", Duration.ofMinutes(10));
				Thread.sleep(Long.MAX_VALUE);
			}
			this.redis.opsForValue().increment(this.effects + ":" + payload);
		}

	}

}
