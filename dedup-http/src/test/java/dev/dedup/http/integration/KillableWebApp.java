package dev.dedup.http.integration;

import java.time.Duration;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

import dev.dedup.http.PreventDuplicateSubmit;
import dev.dedup.http.PreventDuplicateSubmit.Strategy;

/**
 * A web app for {@link HttpFaultTests}, run as a child JVM (so it can be killed inside a handler) and
 * in-process. Its handlers count their runs per {@code X-Run} in a Redis of their own
 * ({@code test.effects-url}, never the dedup store a test freezes), then sleep {@code sleepMs} (forever when
 * negative). Leases are 3 s.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
@Import(KillableWebApp.Endpoints.class)
public class KillableWebApp {

	public static void main(String[] args) {
		SpringApplication.run(KillableWebApp.class, args);
	}

	@Bean(destroyMethod = "destroy")
	LettuceConnectionFactory effectsConnection(@Value("${test.effects-url}") String url) {
		LettuceConnectionFactory factory = new LettuceConnectionFactory(
				LettuceConnectionFactory.createRedisConfiguration(url));
		factory.afterPropertiesSet();
		factory.start();
		return factory;
	}

	@RestController
	static class Endpoints {

		private final StringRedisTemplate effects;

		Endpoints(LettuceConnectionFactory effectsConnection) {
			this.effects = new StringRedisTemplate(effectsConnection);
		}

		@PostMapping("/crash/idem")
		@PreventDuplicateSubmit(strategy = Strategy.IDEMPOTENCY_KEY, lease = "3s")
		ResponseEntity<String> idem(@RequestHeader("X-Run") String run, @RequestHeader("X-Sleep-Ms") long sleepMs)
				throws InterruptedException {
			long count = ran(run);
			sleep(sleepMs);
			return ResponseEntity.status(201).body("run " + count);
		}

		@PostMapping("/crash/lock")
		@PreventDuplicateSubmit(lease = "3s")
		String lock(@RequestHeader("X-Run") String run, @RequestHeader("X-Sleep-Ms") long sleepMs) throws InterruptedException {
			long count = ran(run);
			sleep(sleepMs);
			return "run " + count;
		}

		@GetMapping("/crash/ready")
		String ready() {
			return "ready";
		}

		private long ran(String run) {
			String key = "http-faults:" + run;
			Long count = this.effects.opsForValue().increment(key);
			this.effects.expire(key, Duration.ofMinutes(10));
			return (count != null) ? count : 0;
		}

		private static void sleep(long millis) throws InterruptedException {
			Thread.sleep(millis < 0 ? Long.MAX_VALUE : millis);
		}

	}

}
