package dev.dedup.benchmarks;

import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import dev.dedup.core.engine.Claim;
import dev.dedup.core.engine.ClaimStatus;
import dev.dedup.core.engine.DedupEngine;
import dev.dedup.core.key.DedupKeys;
import dev.dedup.core.store.DedupStore;
import dev.dedup.core.store.InMemoryDedupStore;
import dev.dedup.redis.RedisDedupStore;

/**
 * What one message costs the engine: build the key, claim it (which schedules the lease renewal), complete
 * it (which cancels the renewal and writes CONSUMED). One thread, the Kafka defaults for the lease (30s).
 *
 * <p>Ids cycle through {@value #IDS} values with a 1 ms retention, so every claim finds its key expired and
 * acquires it, while the in-memory store stays small and the local Redis keeps nothing after the run. A claim
 * that does not acquire fails the benchmark rather than measuring a cheaper path.
 *
 * <p>{@link #main} runs all three and prints ops/s with the ratio to the in-memory cycle; {@code
 * org.openjdk.jmh.Main EngineBenchmark} runs them with JMH's own options and report.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class EngineBenchmark {

	static final int IDS = 1 << 16;

	static final String SCOPE = "bench-group";

	static final Duration LEASE = Duration.ofSeconds(30);

	static final Duration RETENTION = Duration.ofMillis(1);

	/** The message ids one thread cycles through, made once so that no benchmark pays for string building. */
	@State(Scope.Thread)
	public static class Ids {

		final String[] ids = new String[IDS];

		int next;

		@Setup
		public void setUp() {
			String run = UUID.randomUUID().toString().substring(0, 8);
			for (int i = 0; i < IDS; i++) {
				this.ids[i] = "order-" + run + "-" + i;
			}
		}

		String next() {
			String id = this.ids[this.next];
			this.next = (this.next + 1) & (IDS - 1);
			return id;
		}

	}

	@State(Scope.Benchmark)
	public static class InMemory {

		DedupEngine engine;

		DedupKeys keys;

		@Setup(Level.Trial)
		public void setUp() {
			DedupStore store = new InMemoryDedupStore();
			this.engine = new DedupEngine(store);
			this.keys = new DedupKeys("bench", store.maxKeyLength());
		}

		@TearDown(Level.Trial)
		public void tearDown() {
			this.engine.close();
		}

	}

	/** The Redis at {@code -Dbench.redis-host} (127.0.0.1) : {@code -Dbench.redis-port} (6379). */
	@State(Scope.Benchmark)
	public static class OnRedis {

		LettuceConnectionFactory factory;

		DedupEngine engine;

		DedupKeys keys;

		@Setup(Level.Trial)
		public void setUp() {
			this.factory = new LettuceConnectionFactory(new RedisStandaloneConfiguration(
					System.getProperty("bench.redis-host", "127.0.0.1"),
					Integer.getInteger("bench.redis-port", 6379)));
			this.factory.afterPropertiesSet();
			this.factory.start();
			DedupStore store = new RedisDedupStore(this.factory);
			this.engine = new DedupEngine(store);
			this.keys = new DedupKeys("bench-" + UUID.randomUUID().toString().substring(0, 8), store.maxKeyLength());
		}

		@TearDown(Level.Trial)
		public void tearDown() {
			this.engine.close();
			this.factory.destroy();
		}

	}

	/** Baseline: only the key, as every dedup path builds it first. */
	@Benchmark
	public String keyOnly(InMemory state, Ids ids) {
		return state.keys.kafka(SCOPE, ids.next());
	}

	@Benchmark
	public boolean inMemoryClaimComplete(InMemory state, Ids ids) {
		return cycle(state.engine, state.keys, ids);
	}

	@Benchmark
	public boolean redisClaimComplete(OnRedis state, Ids ids) {
		return cycle(state.engine, state.keys, ids);
	}

	private static boolean cycle(DedupEngine engine, DedupKeys keys, Ids ids) {
		Claim claim = engine.claim(keys.kafka(SCOPE, ids.next()), LEASE);
		if (claim.status() != ClaimStatus.ACQUIRED) {
			throw new IllegalStateException("Expected to acquire " + claim);
		}
		return claim.complete(RETENTION);
	}

	/**
	 * Where the measured dedup classes came from. Built without {@code -am}, Maven puts whatever
	 * dedup jars ~/.m2 holds on the classpath, which may be another checkout's.
	 */
	static String dedupLocation() {
		return String.valueOf(DedupEngine.class.getProtectionDomain().getCodeSource().getLocation());
	}

	/** Runs the three benchmarks and prints a Markdown table with each one's ratio to the in-memory cycle. */
	public static void main(String[] args) throws Exception {
		Collection<RunResult> results = new Runner(
				new OptionsBuilder().include(EngineBenchmark.class.getName() + "\\.").build()).run();
		Map<String, double[]> scores = new LinkedHashMap<>();
		for (RunResult result : results) {
			String name = result.getParams().getBenchmark();
			scores.put(name.substring(name.lastIndexOf('.') + 1), new double[] {
					result.getPrimaryResult().getScore(), result.getPrimaryResult().getScoreError() });
		}
		double inMemory = scores.get("inMemoryClaimComplete")[0];
		System.out.println();
		System.out.println("dedup classes from " + dedupLocation());
		System.out.println("| benchmark | ops/s | ± (99.9%) | ÷ in-memory claim → complete |");
		System.out.println("|---|---:|---:|---:|");
		scores.forEach((name, score) -> System.out.printf("| %s | %,.0f | %,.0f | %.3f |%n", name, score[0],
				score[1], score[0] / inMemory));
	}

}
