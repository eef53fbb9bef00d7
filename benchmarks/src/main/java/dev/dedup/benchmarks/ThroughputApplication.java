package dev.dedup.benchmarks;

import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.jdbc.core.ConnectionCallback;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.config.ContainerCustomizer;
import org.springframework.kafka.listener.ConcurrentMessageListenerContainer;

import dev.dedup.core.store.DedupStore;
import dev.dedup.core.store.StoreOperation;

/**
 * The application under test: Boot's auto-configuration, Boot's default container factory and one listener
 * that counts — a record listener, or a batch listener with {@code bench.listener=batch} — and with
 * {@code bench.work=db-row} also inserts one row per record into the DataSource's database. No component
 * scan, so nothing else in this package becomes a bean.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
@Import(ThroughputApplication.CountingListener.class)
class ThroughputApplication {

	/** The {@code *-claim-ceiling} variants: dedup's claims, one marker row per batch of marks. */
	@Bean
	@ConditionalOnProperty(name = "bench.store-marks", havingValue = "one-marker-per-call")
	static BeanPostProcessor oneMarkerPerCall(ObjectProvider<JdbcTemplate> jdbc, @Value("${bench.group}") String group) {
		return new BeanPostProcessor() {
			@Override
			public Object postProcessAfterInitialization(Object bean, String beanName) {
				return bean instanceof DedupStore store && !(bean instanceof OneMarkerPerCallStore)
						? new OneMarkerPerCallStore(store, jdbc.getObject(), "bench-ceiling:" + group + ":") : bean;
			}
		};
	}

	/** The {@code *-per-key-marks} variants: the store's per-key path, as before polls had rows of their own. */
	@Bean
	@ConditionalOnProperty(name = "bench.store-marks", havingValue = "per-key")
	static BeanPostProcessor perKeyMarks() {
		return new BeanPostProcessor() {
			@Override
			public Object postProcessAfterInitialization(Object bean, String beanName) {
				return bean instanceof DedupStore store && !(bean instanceof PerKeyMarksStore)
						? new PerKeyMarksStore(store) : bean;
			}
		};
	}

	/**
	 * {@code floor-redis-claim-only-async-commits}: the container sends each poll's offsets with
	 * {@code commitAsync} and does not wait for them, as dedup's {@code CommitsAfterMarks} spares dedup the
	 * commit's round trip by carrying a held commit with the next poll.
	 */
	@Bean
	@ConditionalOnProperty(name = "bench.commits", havingValue = "async")
	static ContainerCustomizer<Object, Object, ConcurrentMessageListenerContainer<Object, Object>> asyncCommits() {
		return container -> container.getContainerProperties().setSyncCommits(false);
	}

	@Bean
	@ConditionalOnProperty(name = "bench.listener", havingValue = "record", matchIfMissing = true)
	RecordListener recordListener(CountingListener counting) {
		return new RecordListener(counting);
	}

	@Bean
	@ConditionalOnProperty(name = "bench.listener", havingValue = "batch")
	BatchListener batchListener(CountingListener counting) {
		return new BatchListener(counting);
	}

	static class RecordListener {

		private final CountingListener counting;

		RecordListener(CountingListener counting) {
			this.counting = counting;
		}

		@KafkaListener(topics = "${bench.topic}", groupId = "${bench.group}")
		void onRecord(String payload) {
			this.counting.onRecords(List.of(payload));
		}

	}

	static class BatchListener {

		private final CountingListener counting;

		BatchListener(CountingListener counting) {
			this.counting = counting;
		}

		@KafkaListener(topics = "${bench.topic}", groupId = "${bench.group}", batch = "true")
		void onBatch(List<String> payloads) {
			this.counting.onRecords(payloads);
		}

	}

	/**
	 * Counts records and opens a latch at the expected count; the time of the first record is kept too.
	 * {@link #reset()} readies it for the next round.
	 */
	static class CountingListener {

		private final long expected;

		private final @Nullable JdbcTemplate businessWrites;

		private final AtomicLong handled = new AtomicLong();

		private volatile CountDownLatch allHandled = new CountDownLatch(1);

		private volatile long firstRecordNanos;

		private volatile long lastRecordNanos;

		/** {@code none}, {@code naive}, {@code floor} or {@code floor-jdbc}: see the benchmark's variants. */
		private final String handWritten;

		private final StringRedisTemplate redis;

		private final JdbcTemplate floorJdbc;

		private final String keyPrefix;

		private final FloorWriter floorWriter;

		/** The {@code *-poll-mark} floors: one marker per poll or batch instead of a mark per record. */
		private final boolean floorMarkPerPoll;

		private final AtomicLong floorBatches = new AtomicLong();

		private final boolean floorPostgres;

		private final boolean batch;

		private static volatile @Nullable FloorWriter currentFloorWriter;

		CountingListener(@Value("${bench.records}") long expected, @Value("${bench.work:none}") String work,
				@Value("${bench.hand-written:none}") String handWritten, @Value("${bench.group}") String group,
				@Value("${bench.listener:record}") String listener, @Value("${bench.floor-await:true}") boolean floorAwait,
				@Value("${bench.floor-marks:per-record}") String floorMarks,
				JdbcTemplate jdbc, StringRedisTemplate redis) {
			this.expected = expected;
			this.batch = listener.equals("batch");
			this.handWritten = handWritten;
			this.redis = redis;
			this.keyPrefix = "bench-hand-written:" + group + ":";
			this.floorMarkPerPoll = floorMarks.equals("per-poll");
			this.floorWriter = new FloorWriter(redis, this.keyPrefix, floorAwait, this.floorMarkPerPoll,
					!floorMarks.equals("none"));
			this.businessWrites = work.equals("db-row") ? jdbc : null;
			this.floorJdbc = jdbc;
			// On PostgreSQL the floor binds a batch as one array, as the store does: for the store's row that costs
			// the server half what a VALUES list does (benchmarks/scripts/jdbc-row-costs.py), and a floor must
			// use the cheapest form.
			this.floorPostgres = handWritten.equals("floor-jdbc") && Boolean.TRUE.equals(jdbc.execute(
					(ConnectionCallback<Boolean>) connection -> connection.getMetaData().getURL().startsWith("jdbc:postgresql:")));
			if (handWritten.equals("floor-jdbc")) {
				jdbc.execute("CREATE TABLE IF NOT EXISTS bench_floor (k VARCHAR(255) NOT NULL PRIMARY KEY, state CHAR(1) NOT NULL)");
			}
			if (this.businessWrites != null) {
				this.businessWrites.execute("CREATE TABLE IF NOT EXISTS bench_business_row "
						+ "(id BIGINT AUTO_INCREMENT PRIMARY KEY, payload VARCHAR(64) NOT NULL)");
			}
		}

		/**
		 * Readies the count for a round, and makes this application's floor writer the one that
		 * {@link FloorPollInterceptor} uses: every variant's application stays open, and one runs at a time.
		 */
		void reset() {
			this.handled.set(0);
			this.firstRecordNanos = 0;
			this.lastRecordNanos = 0;
			this.allHandled = new CountDownLatch(1);
			currentFloorWriter = this.floorWriter;
		}

		/** Where the hand-written variants (naive, the floors) keep their keys. */
		String handWrittenKeyPrefix() {
			return this.keyPrefix;
		}

		/** Handles a record listener's record, or a batch listener's batch. */
		void onRecords(List<String> payloads) {
			switch (this.handWritten) {
				case "naive" -> payloads.forEach(this::naive);
				case "floor" -> floor(payloads);
				case "floor-jdbc" -> floorJdbc(payloads);
				default -> payloads.forEach(this::handle);
			}
		}

		/** A blocking SET NX per record, the work, a blocking SET: two round trips per record. */
		private void naive(String payload) {
			String key = this.keyPrefix + payload;
			if (Boolean.TRUE.equals(this.redis.opsForValue().setIfAbsent(key, "C", Duration.ofSeconds(30)))) {
				handle(payload);
				this.redis.opsForValue().set(key, "D", Duration.ofMinutes(10));
			}
		}

		/**
		 * The two writes the semantics need per record, at the cheapest the machine offers: one script call for
		 * the batch's SET NX PX, the work, one script call for its SET PX (no reads, no fencing, no replies to
		 * decode beyond one integer per key). Sending them as native commands, one per record, was
		 * slower still.
		 * A record listener gets the same writes per poll from {@link FloorPollInterceptor}.
		 */
		private void floor(List<String> payloads) {
			if (!this.batch) {
				payloads.stream().filter(payload -> FloorPollInterceptor.claimed(this.floorWriter, payload))
					.forEach(this::handle);
				return;
			}
			byte[][] keys = new byte[payloads.size()][];
			for (int i = 0; i < keys.length; i++) {
				keys[i] = this.floorWriter.key(payloads.get(i));
			}
			boolean[] claimed = this.floorWriter.claim(keys);
			for (int i = 0; i < payloads.size(); i++) {
				if (claimed[i]) {
					handle(payloads.get(i));
				}
			}
			this.floorWriter.mark(keys);
		}

		/** The writer of the floor-redis variant, for {@link FloorPollInterceptor}, which Kafka creates. */
		static FloorWriter floorWriter() {
			FloorWriter writer = currentFloorWriter;
			if (writer == null) {
				throw new IllegalStateException("floor-redis: no application is running");
			}
			return writer;
		}

		/**
		 * The two statements the semantics need per batch on a bare table: a multi-row INSERT of the claims and
		 * a multi-row UPDATE of the marks, each committed at once. The benchmark's ids are all new, so every
		 * handler runs when every row went in (a repeat would make the floor fail loudly, not skip).
		 */
		private void floorJdbc(List<String> payloads) {
			List<String> keys = payloads.stream().map(payload -> this.keyPrefix + payload).toList();
			int inserted = this.floorPostgres ? floorJdbcArray("INSERT INTO bench_floor (k, state) SELECT k, 'C' "
					+ "FROM unnest(CAST(? AS TEXT[])) AS k", keys)
					: this.floorJdbc.update("INSERT INTO bench_floor (k, state) VALUES "
							+ String.join(", ", java.util.Collections.nCopies(payloads.size(), "(?, 'C')")), keys.toArray());
			if (inserted != payloads.size()) {
				throw new IllegalStateException("floor-jdbc: " + (payloads.size() - inserted) + " keys were not new");
			}
			payloads.forEach(this::handle);
			if (this.floorMarkPerPoll) {
				this.floorJdbc.update("INSERT INTO bench_floor (k, state) VALUES (?, 'D')",
						this.keyPrefix + "batch-" + this.floorBatches.incrementAndGet());
				return;
			}
			if (this.floorPostgres) {
				floorJdbcArray("UPDATE bench_floor SET state = 'D' WHERE k = ANY(CAST(? AS TEXT[]))", keys);
				return;
			}
			String placeholders = String.join(", ", java.util.Collections.nCopies(payloads.size(), "?"));
			this.floorJdbc.update("UPDATE bench_floor SET state = 'D' WHERE k IN (" + placeholders + ")", keys.toArray());
		}

		/** One statement with the keys bound as one array, as the PostgreSQL store binds them. */
		private int floorJdbcArray(String sql, List<String> keys) {
			return Objects.requireNonNull(this.floorJdbc.execute((ConnectionCallback<Integer>) connection -> {
				try (PreparedStatement statement = connection.prepareStatement(sql)) {
					statement.setArray(1, connection.createArrayOf("text", keys.toArray()));
					return statement.executeUpdate();
				}
			}));
		}

		private void handle(String payload) {
			if (this.businessWrites != null) {
				this.businessWrites.update("INSERT INTO bench_business_row (payload) VALUES (?)", payload);
			}
			long count = this.handled.incrementAndGet();
			if (count == 1) {
				this.firstRecordNanos = System.nanoTime();
			}
			if (count == this.expected) {
				this.lastRecordNanos = System.nanoTime();
				this.allHandled.countDown();
			}
		}

		boolean awaitAll(long timeout, TimeUnit unit) throws InterruptedException {
			return this.allHandled.await(timeout, unit);
		}

		long handled() {
			return this.handled.get();
		}

		long firstRecordNanos() {
			return this.firstRecordNanos;
		}

		long lastRecordNanos() {
			return this.lastRecordNanos;
		}

	}

	/** Counts calls and sums their wall time, from several threads. */
	static final class CallTimer {

		private final AtomicLong calls = new AtomicLong();

		private final AtomicLong nanos = new AtomicLong();

		/** One call, begun at {@code startNanos} ({@link System#nanoTime()}), has ended. */
		void since(long startNanos) {
			this.calls.incrementAndGet();
			this.nanos.addAndGet(System.nanoTime() - startNanos);
		}

		KafkaThroughputBenchmark.CallTime total() {
			return new KafkaThroughputBenchmark.CallTime(this.calls.get(), this.nanos.get());
		}

	}

	/** The floor's two script calls on Lettuce's shared connection: SET NX PX per key, then SET PX per key. */
	static final class FloorWriter {

		private static final String CLAIM = "local r = {} for i, k in ipairs(KEYS) do "
				+ "r[i] = redis.call('SET', k, 'C', 'NX', 'PX', ARGV[1]) and 1 or 0 end return r";

		private static final String MARK = "for i, k in ipairs(KEYS) do redis.call('SET', k, 'D', 'PX', ARGV[1]) end "
				+ "return #KEYS";

		private final StringRedisTemplate redis;

		private final String keyPrefix;

		private final boolean awaitMarks;

		/** {@code floor-redis-poll-mark}: one marker per poll instead of a mark per key. */
		private final boolean markPerPoll;

		/** False for {@code floor-redis-claim-only}: no marks at all. */
		private final boolean writesMarks;

		private final AtomicLong polls = new AtomicLong();

		/** The claim calls' and the awaited mark calls' count and wall time, shown beside dedup's store calls. */
		private final CallTimer claimTimes = new CallTimer();

		private final CallTimer markTimes = new CallTimer();

		FloorWriter(StringRedisTemplate redis, String keyPrefix, boolean awaitMarks, boolean markPerPoll,
				boolean writesMarks) {
			this.redis = redis;
			this.keyPrefix = keyPrefix;
			this.awaitMarks = awaitMarks;
			this.markPerPoll = markPerPoll;
			this.writesMarks = writesMarks;
		}

		byte[] key(String payload) {
			return (this.keyPrefix + payload).getBytes(StandardCharsets.UTF_8);
		}

		@SuppressWarnings("unchecked")
		private static RedisClusterAsyncCommands<byte[], byte[]> async(RedisConnection connection) {
			return (RedisClusterAsyncCommands<byte[], byte[]>) connection.getNativeConnection();
		}

		/** Per key, whether its SET NX went in. */
		boolean[] claim(byte[][] keys) {
			long start = System.nanoTime();
			List<?> replies = (List<?>) eval(CLAIM, ScriptOutputType.MULTI, keys, "30000");
			this.claimTimes.since(start);
			boolean[] claimed = new boolean[keys.length];
			for (int i = 0; i < keys.length; i++) {
				claimed[i] = Long.valueOf(1).equals(replies.get(i));
			}
			return claimed;
		}

		/**
		 * Writes the marks and waits for the reply, as a correct design must before the offsets are committed;
		 * or, with {@code bench.floor-await=false} ({@code floor-redis-unawaited}), only sends them, which is
		 * cheaper than any correct design: a bound from above.
		 */
		void mark(byte[][] keys) {
			if (!this.writesMarks) {
				return;
			}
			long start = System.nanoTime();
			if (this.markPerPoll) {
				byte[] marker = (this.keyPrefix + "poll-" + this.polls.incrementAndGet()).getBytes(StandardCharsets.UTF_8);
				eval(MARK, ScriptOutputType.INTEGER, new byte[][] { marker }, "600000");
				this.markTimes.since(start);
				return;
			}
			if (this.awaitMarks) {
				eval(MARK, ScriptOutputType.INTEGER, keys, "600000");
				this.markTimes.since(start);
				return;
			}
			try (RedisConnection connection = this.redis.getRequiredConnectionFactory().getConnection()) {
				async(connection).eval(MARK, ScriptOutputType.INTEGER, keys, "600000".getBytes(StandardCharsets.UTF_8));
			}
		}

		/** The claims' and awaited marks' calls so far, under the names of the dedup operations they stand for. */
		Map<StoreOperation, KafkaThroughputBenchmark.CallTime> callTimes() {
			return Map.of(StoreOperation.CLAIM_ALL, this.claimTimes.total(),
					this.markPerPoll ? StoreOperation.COMPLETE_POLL : StoreOperation.COMPLETE_ALL, this.markTimes.total());
		}

		private Object eval(String script, ScriptOutputType type, byte[][] keys, String millis) {
			try (RedisConnection connection = this.redis.getRequiredConnectionFactory().getConnection()) {
				return async(connection).eval(script, type, keys, millis.getBytes(StandardCharsets.UTF_8))
					.get(5, TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new IllegalStateException(ex);
			}
			catch (ExecutionException | TimeoutException ex) {
				throw new IllegalStateException("floor-redis: Redis failed", ex);
			}
		}

	}

}
