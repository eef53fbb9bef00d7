package dev.dedup.benchmarks;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
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
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

import dev.dedup.core.store.ClaimOutcome;
import dev.dedup.core.store.DedupStore;
import dev.dedup.http.PreventDuplicateSubmit;
import dev.dedup.http.PreventDuplicateSubmit.Strategy;
import dev.dedup.http.idempotency.IdempotencyGuard;

/**
 * Throughput of an IDEMPOTENCY_KEY endpoint with a unique key per request, against the same handler code
 * unprotected and against a floor, in one Boot application (Tomcat on a random port) and one run. The floor
 * is the same handler doing by hand the two bare store round trips the semantics need (claim the key, then
 * store the response under it), nothing else: what is physically possible on this machine and store. It
 * asserts nothing: it prints requests per second per round and the ratios protected ÷ floor (goal ≥ 0.95)
 * and protected ÷ plain.
 *
 * <p>{@code clients} threads of one {@code java.net.http.HttpClient} (HTTP/1.1, kept-alive connections)
 * send back to back for {@code seconds} per round. Both endpoints get the same request, a fresh
 * {@code Idempotency-Key} included, so the client's share of the cores is the same for both and only the
 * annotation differs. After one warm-up round of each endpoint ({@code warmup-seconds} each), the measured
 * rounds alternate which endpoint goes first, so drift (JIT, GC, the machine) hits both alike; the report
 * gives the median of the per-round ratios and the ratio of the means.
 *
 * <p>Options, as {@code -Dbench.NAME=value} or {@code NAME=value} arguments: {@code clients} (16),
 * {@code seconds} per round (3), {@code rounds} (8), {@code warmup-seconds} per endpoint (10),
 * {@code store} ({@code redis} or {@code memory}), {@code redis-host} (127.0.0.1), {@code redis-port}
 * (6379).
 */
public final class IdempotencyThroughputBenchmark {

	private static final String BODY = "{\"item\":\"book\",\"qty\":1}";

	private static final DateTimeFormatter TIME_OF_DAY = DateTimeFormatter.ofPattern("HH:mm:ss");

	private IdempotencyThroughputBenchmark() {
	}

	public static void main(String[] args) throws Exception {
		BenchmarkOptions options = BenchmarkOptions.parse(args);
		int clients = options.intOption("clients", 16);
		Duration round = Duration.ofSeconds(options.intOption("seconds", 3));
		int rounds = options.intOption("rounds", 8);
		Duration warmup = Duration.ofSeconds(options.intOption("warmup-seconds", 10));
		String store = options.stringOption("store", "redis");
		String runId = UUID.randomUUID().toString().substring(0, 8);
		Map<String, Object> properties = new LinkedHashMap<>();
		properties.put("server.port", 0);
		properties.put("dedup.store", store);
		properties.put("dedup.key-prefix", "bench-" + runId);
		// Short, so the run's keys leave the local Redis soon after; a retention costs the same to write.
		properties.put("dedup.http.idempotency.retention", "10m");
		properties.put("dedup.http.identity.header", "X-User");
		properties.put("dedup.kafka.enabled", "false");
		properties.put("spring.data.redis.host", options.stringOption("redis-host", "127.0.0.1"));
		properties.put("spring.data.redis.port", options.intOption("redis-port", 6379));
		properties.put("spring.data.redis.repositories.enabled", "false");
		// The JDBC store is on the module's classpath and brings a DataSource; nothing here uses it.
		properties.put("spring.datasource.url", options.stringOption("mariadb-url",
				"jdbc:mysql://127.0.0.1:3306/test?user=root&useAffectedRows=true"));
		properties.put("spring.main.banner-mode", "off");
		properties.put("spring.jmx.enabled", "false");
		// Both endpoints alike: no connection churn from Tomcat's default of 100 requests per connection.
		properties.put("server.tomcat.max-keep-alive-requests", -1);
		String[] arguments = properties.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue())
			.toArray(String[]::new);
		try (ConfigurableApplicationContext app = new SpringApplicationBuilder(BenchApplication.class)
			.logStartupInfo(false)
			.run(arguments)) {
			String storeClass = app.getBean(DedupStore.class).getClass().getSimpleName();
			if (!storeClass.toLowerCase(Locale.ROOT).startsWith(store.equals("memory") ? "inmemory" : store)) {
				throw new IllegalStateException("store " + store + " asked for, but the application uses " + storeClass);
			}
			String base = "http://127.0.0.1:" + app.getEnvironment().getProperty("local.server.port");
			HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
			System.out.printf("store %s (%s), %d clients, %d s per round, %d rounds, %d s warm-up each, %d CPUs, "
					+ "Java %s%n", store, storeClass, clients, round.toSeconds(), rounds, warmup.toSeconds(),
					Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
			System.out.printf("dedup classes from %s%n", EngineBenchmark.dedupLocation());
			List<String> paths = List.of("/bench/plain", "/bench/floor", "/bench/protected");
			for (String path : paths) {
				measure(http, base + path, clients, warmup);
			}
			List<Double> toFloor = new ArrayList<>();
			List<Double> toPlain = new ArrayList<>();
			double[] sums = new double[paths.size()];
			for (int i = 1; i <= rounds; i++) {
				// Each round starts with another endpoint, so drift (JIT, GC, the machine) hits all alike.
				double[] rates = new double[paths.size()];
				for (int k = 0; k < paths.size(); k++) {
					int which = (i + k) % paths.size();
					rates[which] = measure(http, base + paths.get(which), clients, round);
				}
				// The time of day lets a reader match rounds against other load on a shared machine.
				System.out.printf("round %2d: plain %8.0f   floor %8.0f   idempotency-key %8.0f req/s   "
						+ "÷ floor %.2f   ÷ plain %.2f   (%s)%n", i, rates[0], rates[1], rates[2], rates[2] / rates[1],
						rates[2] / rates[0], LocalTime.now().format(TIME_OF_DAY));
				toFloor.add(rates[2] / rates[1]);
				toPlain.add(rates[2] / rates[0]);
				for (int k = 0; k < paths.size(); k++) {
					sums[k] += rates[k];
				}
			}
			System.out.printf("mean:     plain %8.0f   floor %8.0f   idempotency-key %8.0f req/s%n", sums[0] / rounds,
					sums[1] / rounds, sums[2] / rounds);
			System.out.printf("ratio:    idempotency-key ÷ floor: median of rounds %.2f, of means %.2f (goal >= 0.95)%n",
					median(toFloor), sums[2] / sums[1]);
			System.out.printf("ratio:    idempotency-key ÷ plain: median of rounds %.2f, of means %.2f%n",
					median(toPlain), sums[2] / sums[0]);
		}
	}

	private static double median(List<Double> values) {
		List<Double> sorted = new ArrayList<>(values);
		sorted.sort(null);
		int n = sorted.size();
		return (sorted.get((n - 1) / 2) + sorted.get(n / 2)) / 2;
	}

	/**
	 * Requests per second answered 201 over {@code duration}, from {@code clients} threads sending back to
	 * back. A protected request must be answered by its handler, not replayed: every key is new. The plain
	 * endpoint ignores the key.
	 */
	private static double measure(HttpClient http, String url, int clients, Duration duration) throws Exception {
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
						.header("Idempotency-Key", UUID.randomUUID().toString())
						.POST(HttpRequest.BodyPublishers.ofString(BODY));
					try {
						HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
						boolean replayed = response.headers().firstValue(IdempotencyGuard.REPLAYED_HEADER).isPresent();
						(response.statusCode() == 201 && !replayed ? done : failed).incrementAndGet();
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

	/** Boot's auto-configuration and the two endpoints; no component scan. */
	@SpringBootConfiguration
	@EnableAutoConfiguration
	@Import(BenchEndpoints.class)
	static class BenchApplication {

	}

	/** The same handler code behind every path; only the protection differs. */
	@RestController
	static class BenchEndpoints {

		private static final Duration LEASE = Duration.ofSeconds(30);

		private static final Duration RETENTION = Duration.ofMinutes(10);

		private final DedupStore store;

		BenchEndpoints(DedupStore store) {
			this.store = store;
		}

		/**
		 * The floor: the two round trips an Idempotency-Key needs, on the bare store (no engine, filter, body
		 * cache, fingerprint or response capture): claim the key, run the handler, store its body under the key.
		 */
		@PostMapping("/bench/floor")
		ResponseEntity<Map<String, Object>> floor(@RequestBody String body,
				@RequestHeader("X-User") String user, @RequestHeader("Idempotency-Key") String key) {
			String storeKey = "bench-floor:" + user + ":" + key;
			String owner = UUID.randomUUID().toString();
			if (this.store.claim(storeKey, owner, LEASE).outcome() != ClaimOutcome.ACQUIRED) {
				return ResponseEntity.status(409).build();
			}
			ResponseEntity<Map<String, Object>> response = order(body);
			this.store.complete(storeKey, owner, RETENTION,
					String.valueOf(response.getBody()).getBytes(StandardCharsets.UTF_8));
			return response;
		}

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
