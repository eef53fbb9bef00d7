package dev.dedup.http.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Import;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import dev.dedup.http.PreventDuplicateSubmit;
import dev.dedup.http.PreventDuplicateSubmit.Strategy;
import dev.dedup.test.services.TestRedis;

/**
 * Throughput of an IDEMPOTENCY_KEY endpoint with a unique key per request, against the same handler
 * unprotected, in one run on the Redis at 127.0.0.1:6379 (or DEDUP_TEST_REDIS_URL). Run by hand, never as a
 * test: it asserts nothing, it prints requests per second and the ratio (goal: ≥ 0.70). Rounds alternate
 * plain and protected, so drift (JIT, GC, the machine) hits both alike.
 *
 * <pre>
 * ./mvnw -B -q -pl dedup-http -am install -DskipTests
 * ./mvnw -B -q -pl dedup-http dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/cp.txt
 * java -cp dedup-http/target/test-classes:dedup-http/target/classes:$(cat dedup-http/target/cp.txt) \
 *     dev.dedup.http.bench.IdempotencyThroughputHarness [clients=16] [seconds-per-round=5] [rounds=3] [redis|memory]
 * </pre>
 */
public final class IdempotencyThroughputHarness {

	private IdempotencyThroughputHarness() {
	}

	public static void main(String[] args) throws Exception {
		int clients = args.length > 0 ? Integer.parseInt(args[0]) : 16;
		Duration round = Duration.ofSeconds(args.length > 1 ? Long.parseLong(args[1]) : 5);
		int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
		String store = args.length > 3 ? args[3] : "redis";
		try (ConfigurableApplicationContext app = new SpringApplicationBuilder(BenchApplication.class)
			.run("--server.port=0", "--dedup.store=" + store,
					"--spring.data.redis.url=" + (store.equals("redis") ? TestRedis.get().url() : "redis://127.0.0.1:1"),
					"--spring.data.redis.repositories.enabled=false", "--dedup.http.identity.header=X-User",
					"--logging.level.root=WARN", "--spring.main.banner-mode=off",
					// Both endpoints alike: no connection churn from Tomcat's default of 100 requests per connection.
					"--server.tomcat.max-keep-alive-requests=-1")) {
			String base = "http://127.0.0.1:" + app.getEnvironment().getProperty("local.server.port");
			HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
			System.out.printf("store %s, warm-up (%d clients, %d s each)%n", store, clients, round.toSeconds());
			measure(http, base + "/bench/plain", clients, round, false);
			measure(http, base + "/bench/protected", clients, round, true);
			List<Double> ratios = new ArrayList<>();
			double plain = 0;
			double protectedRate = 0;
			for (int i = 1; i <= rounds; i++) {
				// Alternate which goes first, so a machine getting busier or quieter hits both alike.
				double p;
				double q;
				if (i % 2 == 1) {
					p = measure(http, base + "/bench/plain", clients, round, false);
					q = measure(http, base + "/bench/protected", clients, round, true);
				}
				else {
					q = measure(http, base + "/bench/protected", clients, round, true);
					p = measure(http, base + "/bench/plain", clients, round, false);
				}
				System.out.printf("round %2d: plain %8.0f req/s   idempotency-key %8.0f req/s   ratio %.2f%n", i, p, q,
						q / p);
				ratios.add(q / p);
				plain += p;
				protectedRate += q;
			}
			ratios.sort(null);
			double median = (ratios.get((rounds - 1) / 2) + ratios.get(rounds / 2)) / 2;
			System.out.printf("mean:     plain %8.0f req/s   idempotency-key %8.0f req/s%n", plain / rounds,
					protectedRate / rounds);
			System.out.printf("ratio:    median of rounds %.2f, of means %.2f (goal >= 0.70)%n", median,
					protectedRate / plain);
		}
	}

	/** Requests per second over {@code duration}, from {@code clients} threads sending back to back. */
	private static double measure(HttpClient http, String url, int clients, Duration duration, boolean withKey)
			throws Exception {
		ExecutorService threads = Executors.newFixedThreadPool(clients);
		AtomicLong done = new AtomicLong();
		AtomicLong failed = new AtomicLong();
		long end = System.nanoTime() + duration.toNanos();
		List<Future<?>> workers = new ArrayList<>();
		long start = System.nanoTime();
		for (int c = 0; c < clients; c++) {
			String user = "bench-user-" + c;
			workers.add(threads.submit(() -> {
				while (System.nanoTime() < end) {
					HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
						.header("Content-Type", "application/json")
						.header("X-User", user)
						.POST(HttpRequest.BodyPublishers.ofString("{\"item\":\"book\",\"qty\":1}"));
					if (withKey) {
						request.header("Idempotency-Key", UUID.randomUUID().toString());
					}
					try {
						HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
						(response.statusCode() == 201 ? done : failed).incrementAndGet();
					}
					catch (java.io.IOException ex) {
						failed.incrementAndGet(); // a kept-alive connection closed under us: counted, not fatal
					}
				}
				return null;
			}));
		}
		try {
			for (Future<?> worker : workers) {
				worker.get();
			}
		}
		finally {
			threads.shutdownNow();
		}
		double seconds = (System.nanoTime() - start) / 1e9;
		if (failed.get() > 0) {
			System.out.printf("  %s: %d requests did not answer 201%n", url, failed.get());
		}
		return done.get() / seconds;
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	@Import(BenchEndpoints.class)
	static class BenchApplication {

	}

	@RestController
	static class BenchEndpoints {

		@PostMapping("/bench/plain")
		ResponseEntity<Map<String, Object>> plain(@RequestBody String body) {
			return order(body);
		}

		@PostMapping("/bench/protected")
		@PreventDuplicateSubmit(strategy = Strategy.IDEMPOTENCY_KEY)
		ResponseEntity<Map<String, Object>> idempotent(@RequestBody String body) {
			return order(body);
		}

		private static ResponseEntity<Map<String, Object>> order(String body) {
			String id = UUID.randomUUID().toString();
			return ResponseEntity.created(URI.create("/orders/" + id)).body(Map.of("order", id, "size", body.length()));
		}

	}

}
