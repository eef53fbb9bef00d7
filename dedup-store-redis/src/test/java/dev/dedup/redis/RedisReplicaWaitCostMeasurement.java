package dev.dedup.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import dev.dedup.core.store.ClaimOutcome;
import dev.dedup.core.store.ClaimResult;
import dev.dedup.test.services.PrivateRedisSentinel;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Prints what waiting for the replica costs a mark, on the Sentinel set of {@link PrivateRedisSentinel}
 * (master, replica and Sentinel on loopback), through one Lettuce connection found by Sentinel. A
 * measurement, not a test of speed: nothing about time is asserted, only that every mark succeeded. Its name
 * does not end in {@code Tests}, so {@code ./mvnw verify} leaves it out; it runs when named. The
 * figures are in docs/BENCHMARKS.md ("Redis: marks that wait for a replica"); run it alone with
 * {@code ./mvnw -B -o -pl dedup-store-redis verify -Dtest=RedisReplicaWaitCostMeasurement
 * -Dsurefire.failIfNoSpecifiedTests=false} and read
 * {@code dedup-store-redis/target/surefire-reports/dev.dedup.redis.RedisReplicaWaitCostMeasurement-output.txt}.
 */
class RedisReplicaWaitCostMeasurement {

	private static final int MARKS = 2_000;

	private static final int BATCH = 100;

	private static final int THREADS = 8;

	private static final int ROUNDS = 3;

	private static final Duration LEASE = Duration.ofMinutes(1);

	private static final Duration RETENTION = Duration.ofMinutes(10);

	private int run;

	@Test
	void printsWhatWaitingForTheReplicaCostsAMark() throws Exception {
		try (PrivateRedisSentinel redis = new PrivateRedisSentinel()) {
			LettuceConnectionFactory factory = SentinelFactories.start(redis, null);
			ExecutorService threads = Executors.newFixedThreadPool(THREADS);
			try {
				RedisDedupStore plain = new RedisDedupStore(factory);
				RedisDedupStore waiting = new RedisDedupStore(factory, RedisDedupStore.DEFAULT_TIMEOUT, 1,
						Duration.ofSeconds(1));
				// Warm-up: JIT, script cache, connection.
				for (RedisDedupStore store : List.of(plain, waiting)) {
					singles(store, 500);
					batches(store, 500);
					concurrent(store, 500, threads);
				}
				List<double[]> plainRounds = new ArrayList<>();
				List<double[]> waitingRounds = new ArrayList<>();
				for (int round = 0; round < ROUNDS; round++) {
					// Alternate which goes first, so neither always runs on a warmer server.
					boolean plainFirst = round % 2 == 0;
					for (RedisDedupStore store : plainFirst ? List.of(plain, waiting) : List.of(waiting, plain)) {
						double[] figures = measure(store, threads);
						(store == plain ? plainRounds : waitingRounds).add(figures);
					}
				}
				System.out.println("Redis marks that wait for a replica: " + MARKS + " completes per measurement, "
						+ ROUNDS + " rounds, medians of the rounds; Sentinel set on loopback, "
						+ Runtime.getRuntime().availableProcessors() + " CPUs");
				System.out.println("| marks | complete, one key: mean µs | p50 µs | p99 µs | completeAll of " + BATCH
						+ " keys: µs per call | " + THREADS + " threads, one key each: completes/s |");
				System.out.println("|---|---:|---:|---:|---:|---:|");
				System.out.println(row("no WAIT", plainRounds));
				System.out.println(row("WAIT 1 replica", waitingRounds));
			}
			finally {
				threads.shutdownNow();
				factory.destroy();
			}
		}
	}

	/** mean, p50, p99 of single completes (µs), µs per batch call, completes/s with threads. */
	private double[] measure(RedisDedupStore store, ExecutorService threads) throws Exception {
		long[] single = singles(store, MARKS);
		double batch = batches(store, MARKS);
		double rate = concurrent(store, MARKS, threads);
		return new double[] { Arrays.stream(single).average().orElse(0) / 1_000.0, percentile(single, 50) / 1_000.0,
				percentile(single, 99) / 1_000.0, batch, rate };
	}

	/** Nanoseconds of each complete, one key at a time (its claim just before, not timed). */
	private long[] singles(RedisDedupStore store, int marks) {
		long[] nanos = new long[marks];
		for (int i = 0; i < marks; i++) {
			String key = nextKey();
			assertThat(store.claim(key, "bench", LEASE).outcome()).isEqualTo(ClaimOutcome.ACQUIRED);
			long start = System.nanoTime();
			boolean completed = store.complete(key, "bench", RETENTION, null);
			nanos[i] = System.nanoTime() - start;
			assertThat(completed).isTrue();
		}
		return nanos;
	}

	/** Microseconds per completeAll of {@link #BATCH} keys (claimed just before, not timed). */
	private double batches(RedisDedupStore store, int marks) {
		long total = 0;
		int calls = 0;
		for (int done = 0; done < marks; done += BATCH) {
			List<String> keys = new ArrayList<>(BATCH);
			for (int k = 0; k < BATCH; k++) {
				keys.add(nextKey());
			}
			assertThat(store.claimAll(keys, "bench", LEASE)).extracting(ClaimResult::outcome)
				.containsOnly(ClaimOutcome.ACQUIRED);
			long start = System.nanoTime();
			List<Boolean> completed = store.completeAll(keys, "bench", RETENTION);
			total += System.nanoTime() - start;
			calls++;
			assertThat(completed).containsOnly(true);
		}
		return total / 1_000.0 / calls;
	}

	/** Completes per second, {@link #THREADS} threads completing one key at a time on the shared connection. */
	private double concurrent(RedisDedupStore store, int marks, ExecutorService threads) throws Exception {
		List<List<String>> perThread = new ArrayList<>();
		for (int t = 0; t < THREADS; t++) {
			List<String> keys = new ArrayList<>();
			for (int i = 0; i < marks / THREADS; i++) {
				keys.add(nextKey());
			}
			assertThat(store.claimAll(keys, "bench", LEASE)).extracting(ClaimResult::outcome)
				.containsOnly(ClaimOutcome.ACQUIRED);
			perThread.add(keys);
		}
		long start = System.nanoTime();
		List<Future<?>> running = new ArrayList<>();
		for (List<String> keys : perThread) {
			running.add(threads.submit(() -> {
				for (String key : keys) {
					assertThat(store.complete(key, "bench", RETENTION, null)).isTrue();
				}
			}));
		}
		for (Future<?> thread : running) {
			thread.get(60, TimeUnit.SECONDS);
		}
		long elapsed = System.nanoTime() - start;
		return (marks / THREADS * THREADS) / (elapsed / 1e9);
	}

	private String nextKey() {
		return "dedup-wait-cost:" + (this.run++);
	}

	private static long percentile(long[] values, int percent) {
		long[] sorted = values.clone();
		Arrays.sort(sorted);
		return sorted[Math.min(sorted.length - 1, (int) Math.ceil(percent / 100.0 * sorted.length) - 1)];
	}

	private static String row(String name, List<double[]> rounds) {
		double[] median = new double[rounds.get(0).length];
		for (int f = 0; f < median.length; f++) {
			int field = f;
			double[] values = rounds.stream().mapToDouble(round -> round[field]).sorted().toArray();
			median[f] = values[values.length / 2];
		}
		return String.format(Locale.ROOT, "| %s | %.0f | %.0f | %.0f | %.0f | %,.0f |", name, median[0], median[1],
				median[2], median[3], median[4]);
	}

}
