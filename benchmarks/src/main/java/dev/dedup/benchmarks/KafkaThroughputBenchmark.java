package dev.dedup.benchmarks;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ToDoubleFunction;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.data.redis.core.Cursor;
import org.springframework.data.redis.core.RedisCallback;
import org.springframework.data.redis.core.ScanOptions;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.jdbc.core.ConnectionCallback;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

import dev.dedup.benchmarks.ThroughputApplication.CountingListener;
import dev.dedup.core.engine.DedupEngine;
import dev.dedup.core.store.CountingDedupStore;
import dev.dedup.core.store.DedupStore;
import dev.dedup.core.store.ForwardingDedupStore;
import dev.dedup.core.store.StoreOperation;
import dev.dedup.kafka.listener.DedupKafkaConfigurer;
import dev.dedup.kafka.poll.DedupKafkaStats;

/**
 * End-to-end throughput of a Spring Boot {@code @KafkaListener} without dedup and with dedup on each store,
 * measured in one JVM against one embedded KRaft broker, so the ratios compare like with like.
 *
 * <p>Produces {@code records} records (unique {@code dedup-id} header each) to a 3-partition topic once,
 * and starts one Boot application per variant, kept open for the run. Then, per variant and round, the
 * application's listener (Boot's default container factory, concurrency 3) reads the whole topic from the
 * beginning in a new consumer group, and its containers stop. The clock runs from starting the listener
 * containers to the last record handled. Warm-up rounds of every variant come first, unmeasured, so the
 * JIT compiler has settled (the report shows what it still spent); the measured rounds interleave the
 * variants, so a slow phase of the machine hits all of them alike.
 *
 * <p>Options, as {@code -Dbench.NAME=value} or {@code NAME=value} arguments: {@code records} (50000),
 * {@code rounds} (3), {@code warmup-rounds} (3), {@code timeout-seconds} per round (300),
 * {@code redis-host} (127.0.0.1), {@code redis-port} (6379), {@code mariadb-url}
 * ({@code jdbc:mysql://127.0.0.1:3306/test?user=root&useAffectedRows=true}), {@code postgres-url}
 * ({@code jdbc:postgresql://127.0.0.1:5432/test?user=postgres}), {@code variants} (a
 * comma-separated list of labels; default all, and {@code raw} always runs), {@code work} ({@code none}: the
 * listener only counts; {@code db-row}: it also inserts one row per record into MariaDB, in auto-commit,
 * as a listener with a business write would), {@code listener} ({@code record}, or {@code batch}: a
 * {@code List<String>} batch listener on the same factory).
 */
public final class KafkaThroughputBenchmark {

	static final int PARTITIONS = 3;

	static final int CONCURRENCY = 3;

	/** The tables the variants write: dedup's, the JDBC floors' and the business rows of {@code work=db-row}. */
	static final List<String> BENCHMARK_TABLES = List.of("bench_dedup", "bench_floor", "bench_business_row");

	/** The dedup variants; each is one set of properties on the same application. */
	enum Variant {

		RAW("raw", Map.of("dedup.kafka.enabled", "false", "dedup.store", "memory")),

		MEMORY("dedup-memory", Map.of("dedup.store", "memory")),

		REDIS("dedup-redis", Map.of("dedup.store", "redis")),

		/**
		 * {@code dedup.redis.poll-rows=false}: each key of a poll its own entry, marked with a write per key, as
		 * the Redis store did before 2026-12-08.
		 */
		REDIS_PER_KEY_MARKS("dedup-redis-per-key-marks", Map.of("dedup.store", "redis", "dedup.redis.poll-rows", "false")),

		/** As {@link #REDIS}, with marks that wait up to 5 ms for company: fewer store calls for a slow listener. */
		REDIS_MARK_LINGER_5MS("dedup-redis-mark-linger-5ms", Map.of("dedup.store", "redis", "dedup.kafka.mark-linger", "5ms")),

		MARIADB("dedup-mariadb", Map.of("dedup.store", "jdbc")),

		/** The JDBC store on PostgreSQL ({@code postgres-url}); the listener's business rows cannot go there. */
		POSTGRESQL("dedup-postgresql", Map.of("dedup.store", "jdbc")),

		/**
		 * Not correct dedup, a ceiling: dedup on MariaDB with its claims as they are and each batch of marks
		 * replaced by one marker row ({@link OneMarkerPerCallStore}), what a one-write design could reach
		 * with dedup's row, engine and adapters.
		 */
		MARIADB_CLAIM_CEILING("dedup-mariadb-claim-ceiling", Map.of("dedup.store", "jdbc", "bench.store-marks",
				"one-marker-per-call")),

		/**
		 * dedup on MariaDB by the path every store took before a poll's keys shared a poll row: each key its
		 * own lease and mark ({@link PerKeyMarksStore}); the same code and table, for a comparison in one run.
		 */
		MARIADB_PER_KEY_MARKS("dedup-mariadb-per-key-marks", Map.of("dedup.store", "jdbc", "bench.store-marks",
				"per-key")),

		/** As {@link #MARIADB_PER_KEY_MARKS}, on PostgreSQL. */
		POSTGRESQL_PER_KEY_MARKS("dedup-postgresql-per-key-marks", Map.of("dedup.store", "jdbc", "bench.store-marks",
				"per-key")),

		/** As {@link #MARIADB_CLAIM_CEILING}, on PostgreSQL. */
		POSTGRESQL_CLAIM_CEILING("dedup-postgresql-claim-ceiling", Map.of("dedup.store", "jdbc",
				"bench.store-marks", "one-marker-per-call")),

		/** Claims and marks one record at a time: what poll batching saves. */
		REDIS_PER_RECORD("dedup-redis-per-record", Map.of("dedup.store", "redis", "dedup.kafka.batch-polls", "false")),

		MARIADB_PER_RECORD("dedup-mariadb-per-record",
				Map.of("dedup.store", "jdbc", "dedup.kafka.batch-polls", "false")),

		/** No dedup; the listener does what most teams copy: a blocking SET NX, then a SET, per record. */
		NAIVE_REDIS("naive-redis", Map.of("dedup.kafka.enabled", "false", "dedup.store", "memory",
				"bench.hand-written", "naive")),

		/**
		 * No dedup; a batch listener makes the two writes the semantics need (SET NX PX, then SET PX) for its
		 * whole batch in one script call each, with no reads, no fencing and no bookkeeping: the floor a Redis
		 * store can reach on this machine. A record listener makes the same two calls per poll
		 * ({@link FloorPollInterceptor}).
		 */
		FLOOR_REDIS("floor-redis", Map.of("dedup.kafka.enabled", "false", "dedup.store", "memory",
				"bench.hand-written", "floor")),

		/**
		 * As {@link #FLOOR_REDIS}, but the marks are only sent, never awaited by the consumer thread. No commit
		 * waits for them either, so it is not correct as it stands; but a design whose offset commits, not its
		 * consumer, wait for the marks (dedup's {@code CommitsAfterMarks}, since 2026-12-07) costs the consumer
		 * the same, so this is the two-write floor of that design.
		 */
		FLOOR_REDIS_UNAWAITED("floor-redis-unawaited", Map.of("dedup.kafka.enabled", "false", "dedup.store",
				"memory", "bench.hand-written", "floor", "bench.floor-await", "false")),

		/**
		 * As {@link #FLOOR_REDIS}, but a poll's (or batch's) marks are one awaited write of a marker for the
		 * whole poll instead of a write per record: the floor of a design whose per-record write is the claim
		 * alone, a claim naming its poll and the poll's marker saying CONSUMED for all of them. Not what the
		 * Redis store does (it marks each key); measured to show what that design could reach here.
		 */
		FLOOR_REDIS_POLL_MARK("floor-redis-poll-mark", Map.of("dedup.kafka.enabled", "false", "dedup.store",
				"memory", "bench.hand-written", "floor", "bench.floor-marks", "per-poll")),

		/**
		 * As {@link #FLOOR_REDIS}, with no marks at all: only the poll's (or batch's) claims, SET NX PX per key in
		 * one awaited script call, before its records run. Not correct (nothing is ever marked), but every
		 * correct design pays at least this: consumers exclude each other from an id only through a write under
		 * that id, and the work may start only once it is in. A ceiling for any design on this machine.
		 */
		FLOOR_REDIS_CLAIM_ONLY("floor-redis-claim-only", Map.of("dedup.kafka.enabled", "false", "dedup.store",
				"memory", "bench.hand-written", "floor", "bench.floor-marks", "none")),

		/**
		 * As {@link #FLOOR_REDIS_CLAIM_ONLY}, with offsets committed by {@code commitAsync}, not awaited: dedup's
		 * commits do not cost its consumer a round trip either ({@code CommitsAfterMarks}), so this is the
		 * ceiling of a design with dedup's commits and a write per key.
		 */
		FLOOR_REDIS_CLAIM_ONLY_ASYNC_COMMITS("floor-redis-claim-only-async-commits", Map.of("dedup.kafka.enabled",
				"false", "dedup.store", "memory", "bench.hand-written", "floor", "bench.floor-marks", "none",
				"bench.commits", "async")),

		/**
		 * No dedup; a batch listener makes the two writes the semantics need on a bare table of MariaDB: one
		 * multi-row INSERT for the batch's claims, one multi-row UPDATE for its marks, each committed on its own
		 * (no reads, no owner, no expiry index): the floor a JDBC store can reach here. Batch listeners only.
		 */
		FLOOR_MARIADB("floor-mariadb", Map.of("dedup.kafka.enabled", "false", "dedup.store", "memory",
				"bench.hand-written", "floor-jdbc")),

		/** As {@link #FLOOR_MARIADB}, on PostgreSQL ({@code postgres-url}), each statement's keys bound as one array. */
		FLOOR_POSTGRESQL("floor-postgresql", Map.of("dedup.kafka.enabled", "false", "dedup.store", "memory",
				"bench.hand-written", "floor-jdbc")),

		/** As {@link #FLOOR_MARIADB}, with one marker row per batch instead of its UPDATE (see {@link #FLOOR_REDIS_POLL_MARK}). */
		FLOOR_MARIADB_POLL_MARK("floor-mariadb-poll-mark", Map.of("dedup.kafka.enabled", "false", "dedup.store",
				"memory", "bench.hand-written", "floor-jdbc", "bench.floor-marks", "per-poll")),

		/** As {@link #FLOOR_MARIADB_POLL_MARK}, on PostgreSQL. */
		FLOOR_POSTGRESQL_POLL_MARK("floor-postgresql-poll-mark", Map.of("dedup.kafka.enabled", "false", "dedup.store",
				"memory", "bench.hand-written", "floor-jdbc", "bench.floor-marks", "per-poll"));

		final String label;

		final Map<String, String> properties;

		Variant(String label, Map<String, String> properties) {
			this.label = label;
			this.properties = properties;
		}

		/** The JDBC floors write a whole batch at once: batch listeners only (floor-redis serves both). */
		boolean batchOnly() {
			return this.label.startsWith("floor-") && !redisFloor();
		}

		/** The Redis floors, which serve record listeners too ({@link FloorPollInterceptor}). */
		boolean redisFloor() {
			return "floor".equals(this.properties.get("bench.hand-written"));
		}

		boolean dedup() {
			return !"false".equals(this.properties.get("dedup.kafka.enabled"));
		}

	}

	/**
	 * One measured consumption of the whole topic, with what it cost: store calls (counted by the engine's
	 * {@link CountingDedupStore}), CPU time of the consumer, Lettuce and dedup threads, Redis's own CPU time
	 * ({@code INFO cpu}), and the whole machine's busy CPU time (every process: broker, consumers, databases).
	 */
	record Round(long records, long startNanos, long firstNanos, long lastNanos, long storeCalls, long storeKeys,
			long clientCpuNanos, long redisCpuMicros, long machineCpuMicros, Map<String, Long> cpuParts,
			Map<StoreOperation, CallTime> callTimes) {

		/** Calls per 1,000 records of one store operation; 0 if it was not called. */
		double callsPerThousand(StoreOperation operation) {
			CallTime time = this.callTimes.get(operation);
			return time == null ? 0 : time.calls() * 1000.0 / this.records;
		}

		/** The mean wall time of one call of {@code operation}, as the engine saw it; NaN if it was not called. */
		double microsPerCall(StoreOperation operation) {
			CallTime time = this.callTimes.get(operation);
			return time == null || time.calls() == 0 ? Double.NaN : time.nanos() / 1000.0 / time.calls();
		}

		double storeCallsPerThousand() {
			return this.storeCalls * 1000.0 / this.records;
		}

		double keysPerCall() {
			return this.storeCalls == 0 ? 0 : (double) this.storeKeys / this.storeCalls;
		}

		double clientCpuMicrosPerRecord() {
			return this.clientCpuNanos / 1000.0 / this.records;
		}

		double redisCpuMicrosPerRecord() {
			return (double) this.redisCpuMicros / this.records;
		}

		/** NaN where the machine's CPU time could not be read. */
		double machineCpuMicrosPerRecord() {
			return this.machineCpuMicros < 0 ? Double.NaN : (double) this.machineCpuMicros / this.records;
		}

		/** NaN where {@code /proc} could not be read. */
		double cpuMicrosPerRecord(String part) {
			Long micros = this.cpuParts.get(part);
			return micros == null ? Double.NaN : (double) micros / this.records;
		}

		double recordsPerSecond() {
			return this.records / seconds(this.lastNanos - this.startNanos);
		}

		/** Excludes joining the group and the first fetch: the steady rate between first and last record. */
		double steadyRecordsPerSecond() {
			return (this.records - 1) / seconds(this.lastNanos - this.firstNanos);
		}

		double firstRecordMillis() {
			return (this.firstNanos - this.startNanos) / 1e6;
		}

		private static double seconds(long nanos) {
			return nanos / 1e9;
		}

	}

	private final BenchmarkOptions options;

	private final String runId = UUID.randomUUID().toString().substring(0, 8);

	private String bootstrapServers = "";

	private int roundNumber;

	private KafkaThroughputBenchmark(BenchmarkOptions options) {
		this.options = options;
	}

	public static void main(String[] args) throws Exception {
		new KafkaThroughputBenchmark(BenchmarkOptions.parse(args)).run(System.out);
		System.exit(0); // the broker's and Kafka clients' non-daemon threads would keep the JVM alive
	}

	private void run(PrintStream out) throws Exception {
		int records = intOption("records", 50_000);
		int rounds = intOption("rounds", 3);
		int warmupRounds = intOption("warmup-rounds", 3);
		String topic = "bench-" + this.runId;

		EmbeddedKafkaKraftBroker broker = new EmbeddedKafkaKraftBroker(1, PARTITIONS, topic);
		broker.brokerProperty("group.initial.rebalance.delay.ms", "0");
		broker.brokerProperty("offsets.topic.num.partitions", "1");
		broker.afterPropertiesSet();
		Map<Variant, ConfigurableApplicationContext> applications = new EnumMap<>(Variant.class);
		try {
			this.bootstrapServers = broker.getBrokersAsString();
			produce(topic, records);
			List<Variant> variants = variants();
			for (Variant variant : variants) {
				applications.put(variant, start(variant, topic, records));
			}
			System.err.printf("Produced %,d records, started %d applications; warming up%n", records, variants.size());
			Map<Variant, List<Round>> results = new EnumMap<>(Variant.class);
			for (int round = 1 - warmupRounds; round <= rounds; round++) {
				for (Variant variant : variants) {
					Round measured = consume(variant, applications.get(variant), records);
					if (round > 0) {
						results.computeIfAbsent(variant, v -> new ArrayList<>()).add(measured);
					}
					System.err.printf("%s %-12s %,10.0f records/s, JIT compiler %.2f s%n",
							round > 0 ? "round " + round : "warm-up", variant.label, measured.recordsPerSecond(),
							measured.cpuParts().getOrDefault("JIT compilers", 0L) / 1e6);
				}
			}
			printReport(out, records, rounds, warmupRounds, results);
		}
		finally {
			applications.values().forEach(ConfigurableApplicationContext::close);
			broker.destroy();
		}
	}

	/** What the listener does per record: nothing, or insert one row into MariaDB (a business write). */
	private String work() {
		String work = stringOption("work", "none");
		if (!List.of("none", "db-row").contains(work)) {
			throw new IllegalArgumentException("work must be none or db-row, was '" + work + "'");
		}
		return work;
	}

	private List<Variant> variants() {
		String chosen = stringOption("variants", "");
		boolean batch = stringOption("listener", "record").equals("batch");
		if (chosen.isBlank()) {
			return Arrays.stream(Variant.values()).filter(variant -> batch || !variant.batchOnly()).toList();
		}
		if (!batch && (chosen.contains("floor-mariadb") || chosen.contains("floor-postgresql"))) {
			throw new IllegalArgumentException("the floor-mariadb and floor-postgresql variants need listener=batch");
		}
		List<String> labels = Arrays.stream(chosen.split(",")).map(String::trim).toList();
		List<Variant> variants = Arrays.stream(Variant.values())
			.filter(variant -> variant == Variant.RAW || labels.contains(variant.label))
			.toList();
		if (variants.size() != labels.stream().filter(label -> !label.equals("raw")).count() + 1) {
			throw new IllegalArgumentException("Unknown variant in '" + chosen + "'; known: "
					+ Arrays.stream(Variant.values()).map(variant -> variant.label).toList());
		}
		return variants;
	}

	/** Sends {@code count} records, spread evenly over the partitions so the 3 consumers share the work. */
	private void produce(String topic, int count) throws Exception {
		Map<String, Object> config = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, this.bootstrapServers,
				ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
				ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
				ProducerConfig.LINGER_MS_CONFIG, 10);
		AtomicReference<Exception> failure = new AtomicReference<>();
		try (KafkaProducer<String, String> producer = new KafkaProducer<>(config)) {
			for (int i = 0; i < count; i++) {
				String id = topic + "-" + i;
				ProducerRecord<String, String> record = new ProducerRecord<>(topic, i % PARTITIONS, null,
						"payload-" + i);
				record.headers().add("dedup-id", id.getBytes(StandardCharsets.UTF_8));
				producer.send(record, (metadata, ex) -> {
					if (ex != null) {
						failure.compareAndSet(null, ex);
					}
				});
			}
			producer.flush();
		}
		if (failure.get() != null) {
			throw new IllegalStateException("Producing to " + topic + " failed", failure.get());
		}
	}

	/**
	 * Starts the application of {@code variant}, its listener containers stopped. It is kept for the whole run:
	 * a context per round made each round pay the JIT compiler for the context's start (0.3–1.2 s of CPU per
	 * round, still at the eighth round), and more for the variants with more beans.
	 */
	private ConfigurableApplicationContext start(Variant variant, String topic, int records) {
		String group = "bench-" + variant.label + "-" + this.runId;
		Map<String, Object> properties = new LinkedHashMap<>(variant.properties);
		properties.put("spring.kafka.bootstrap-servers", this.bootstrapServers);
		properties.put("spring.kafka.consumer.auto-offset-reset", "earliest");
		properties.put("spring.kafka.listener.concurrency", CONCURRENCY);
		// Started by hand below, so the clock starts with the containers and not somewhere inside refresh().
		properties.put("spring.kafka.listener.auto-startup", "false");
		properties.put("spring.data.redis.host", stringOption("redis-host", "127.0.0.1"));
		properties.put("spring.data.redis.port", intOption("redis-port", 6379));
		properties.put("spring.data.redis.repositories.enabled", "false");
		// Every variant gets a DataSource (the JDBC store is on the classpath); the JDBC variants use it.
		if (variant == Variant.POSTGRESQL || variant == Variant.FLOOR_POSTGRESQL
				|| variant == Variant.FLOOR_POSTGRESQL_POLL_MARK || variant == Variant.POSTGRESQL_CLAIM_CEILING
				|| variant == Variant.POSTGRESQL_PER_KEY_MARKS) {
			if (work().equals("db-row")) {
				throw new IllegalArgumentException("work=db-row writes its rows to MariaDB; run dedup-postgresql with work=none");
			}
			properties.put("spring.datasource.url", stringOption("postgres-url", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres"));
		}
		else {
			properties.put("spring.datasource.url", stringOption("mariadb-url",
					"jdbc:mysql://127.0.0.1:3306/test?user=root&useAffectedRows=true"));
		}
		// Every variant's application stays open: pools that open only the connections they use keep 20 of
		// them under the databases' connection limits (100 on PostgreSQL, 151 on MariaDB by default).
		properties.put("spring.datasource.hikari.minimum-idle", 1);
		properties.put("dedup.jdbc.table-name", "bench_dedup"); // one table for every run: keys carry the run id
		properties.put("dedup.jdbc.purge.enabled", "false");
		properties.put("dedup.key-prefix", "bench-" + this.runId);
		// Short, so the run's keys leave the local Redis soon after; the cost of the write is the same.
		properties.put("dedup.kafka.retention", "10m");
		properties.put("bench.topic", topic);
		properties.put("bench.group", group);
		properties.put("bench.records", records);
		properties.put("bench.work", work());
		properties.put("bench.listener", stringOption("listener", "record"));
		if (variant.redisFloor() && !stringOption("listener", "record").equals("batch")) {
			// A record listener's floor claims each poll as it returns, like dedup's poll batching.
			properties.put("spring.kafka.consumer.properties.interceptor.classes", FloorPollInterceptor.class.getName());
		}
		properties.put("spring.main.banner-mode", "off");
		properties.put("spring.jmx.enabled", "false");

		// As command-line arguments, which outrank system properties such as -Dbench.records.
		String[] args = properties.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue())
			.toArray(String[]::new);
		ConfigurableApplicationContext context = new SpringApplicationBuilder(ThroughputApplication.class)
			.web(WebApplicationType.NONE) // dedup-http (for the HTTP benchmark) brings Tomcat onto the classpath
			.logStartupInfo(false)
			.run(args);
		checkVariant(variant, context);
		return context;
	}

	/**
	 * Times the listener of {@code variant}'s application over the whole topic: its containers start in a new
	 * consumer group (so they read from the beginning, and dedup's keys, which name the group, are new), and
	 * stop when the last record is handled.
	 */
	private Round consume(Variant variant, ConfigurableApplicationContext context, int records) throws InterruptedException {
		String group = "bench-" + variant.label + "-" + (++this.roundNumber) + "-" + this.runId;
		KafkaListenerEndpointRegistry registry = context.getBean(KafkaListenerEndpointRegistry.class);
		registry.getListenerContainers().forEach(container -> container.getContainerProperties().setGroupId(group));
		CountingListener listener = context.getBean(CountingListener.class);
		listener.reset();
		StringRedisTemplate redis = context.getBean(StringRedisTemplate.class);
		CountingDedupStore counted = countingStore(context);
		long callsBefore = counted == null ? 0 : counted.calls();
		Map<StoreOperation, CallTime> timesBefore = callTimes(variant, counted);
		long keysBefore = keysCounted(counted);
		long acquiredBefore = acquired(context);
		Map<Long, Long> cpuBefore = clientCpu();
		long redisBefore = redisCpuMicros(redis);
		long machineBefore = machineCpuMicros();
		Map<String, Long> partsBefore = CpuParts.snapshot();
		long start = System.nanoTime();
		registry.start();
		if (!listener.awaitAll(intOption("timeout-seconds", 300), TimeUnit.SECONDS)) {
			throw new IllegalStateException(variant.label + " handled only " + listener.handled() + " of "
					+ records + " records in time");
		}
		long machineAfter = machineCpuMicros();
		Map<String, Long> parts = CpuParts.between(partsBefore, CpuParts.snapshot());
		long machineCpu = machineBefore < 0 || machineAfter < 0 ? -1 : machineAfter - machineBefore;
		long redisCpu = redisCpuMicros(redis) - redisBefore;
		long clientCpu = 0;
		for (Map.Entry<Long, Long> thread : clientCpu().entrySet()) {
			clientCpu += thread.getValue() - cpuBefore.getOrDefault(thread.getKey(), 0L);
		}
		long calls = counted == null ? 0 : counted.calls() - callsBefore;
		long keys = keysCounted(counted) - keysBefore;
		Round round = new Round(records, start, listener.firstRecordNanos(), listener.lastRecordNanos(), calls,
				keys, clientCpu, redisCpu, machineCpu, parts, CallTime.between(timesBefore, callTimes(variant, counted)));
		registry.stop();
		checkAcquired(variant, acquired(context) - acquiredBefore, records);
		deleteKeys(redis, "bench-" + this.runId + ":*", listener.handWrittenKeyPrefix() + "*");
		emptyTables(context.getBean(JdbcTemplate.class));
		return round;
	}

	/** Dedup's store calls, or for a Redis floor its own two calls, as {@link #printCallTimes} shows them. */
	private static Map<StoreOperation, CallTime> callTimes(Variant variant, @Nullable CountingDedupStore counted) {
		Map<StoreOperation, CallTime> times = new EnumMap<>(StoreOperation.class);
		if (variant.redisFloor()) { // its dedup is off: the in-memory store it is configured with makes no calls
			times.putAll(ThroughputApplication.CountingListener.floorWriter().callTimes());
			return times;
		}
		if (counted != null) {
			for (StoreOperation operation : StoreOperation.values()) {
				times.put(operation, new CallTime(counted.calls(operation), counted.time(operation).toNanos()));
			}
		}
		return times;
	}

	/** A store operation's calls and their summed wall time, as the engine's {@link CountingDedupStore} saw them. */
	record CallTime(long calls, long nanos) {

		static Map<StoreOperation, CallTime> between(Map<StoreOperation, CallTime> before,
				Map<StoreOperation, CallTime> after) {
			Map<StoreOperation, CallTime> delta = new EnumMap<>(StoreOperation.class);
			after.forEach((operation, time) -> {
				CallTime earlier = before.getOrDefault(operation, new CallTime(0, 0));
				if (time.calls() > earlier.calls()) {
					delta.put(operation, new CallTime(time.calls() - earlier.calls(), time.nanos() - earlier.nanos()));
				}
			});
			return delta;
		}
	}

	private static long keysCounted(@Nullable CountingDedupStore counted) {
		long keys = 0;
		if (counted != null) {
			for (StoreOperation operation : StoreOperation.values()) {
				keys += counted.keys(operation);
			}
		}
		return keys;
	}

	/** Records dedup acquired so far in this application; 0 without dedup. */
	private static long acquired(ConfigurableApplicationContext context) {
		return context.getBeansOfType(DedupKafkaStats.class).values().stream()
			.mapToLong(stats -> stats.count(DedupKafkaStats.Event.ACQUIRED)).sum();
	}

	/** Fails the run if a variant is not what its label says: dedup off for raw, the named store otherwise. */
	private static void checkVariant(Variant variant, ConfigurableApplicationContext context) {
		boolean dedup = !context.getBeansOfType(DedupKafkaStats.class).isEmpty();
		DedupStore bean = context.getBean(DedupStore.class);
		boolean ceiling = bean instanceof OneMarkerPerCallStore;
		boolean perKey = bean instanceof PerKeyMarksStore;
		DedupStore inner = bean instanceof OneMarkerPerCallStore wrapper ? wrapper.store() : bean;
		String store = ForwardingDedupStore.innermost(inner).getClass().getSimpleName();
		boolean batches = dedup && context.getBean(DedupKafkaConfigurer.class).interceptor().batchesPolls();
		boolean expected = switch (variant) {
			case RAW, NAIVE_REDIS, FLOOR_REDIS, FLOOR_REDIS_UNAWAITED, FLOOR_REDIS_POLL_MARK, FLOOR_REDIS_CLAIM_ONLY,
					FLOOR_REDIS_CLAIM_ONLY_ASYNC_COMMITS, FLOOR_MARIADB, FLOOR_POSTGRESQL, FLOOR_MARIADB_POLL_MARK, FLOOR_POSTGRESQL_POLL_MARK -> !dedup;
			case MEMORY -> dedup && store.equals("InMemoryDedupStore"); // in process: never batched
			case REDIS, REDIS_MARK_LINGER_5MS -> batches && bean.completesPollsInOneWrite() && store.equals("RedisDedupStore");
			case REDIS_PER_KEY_MARKS -> batches && !bean.completesPollsInOneWrite() && store.equals("RedisDedupStore");
			case MARIADB, POSTGRESQL -> batches && !ceiling && !perKey && store.equals("JdbcDedupStore");
			case MARIADB_PER_KEY_MARKS, POSTGRESQL_PER_KEY_MARKS -> batches && perKey && store.equals("JdbcDedupStore");
			case MARIADB_CLAIM_CEILING, POSTGRESQL_CLAIM_CEILING -> batches && ceiling && store.equals("JdbcDedupStore");
			case REDIS_PER_RECORD -> dedup && !batches && store.equals("RedisDedupStore");
			case MARIADB_PER_RECORD -> dedup && !batches && store.equals("JdbcDedupStore");
		};
		if (!expected) {
			throw new IllegalStateException(variant.label + " is misconfigured: dedup " + dedup + ", store " + store
					+ ", poll batching " + batches);
		}
	}

	/** The engine's call counter, behind its circuit breaker; null without dedup. */
	private static @Nullable CountingDedupStore countingStore(ConfigurableApplicationContext context) {
		if (context.getBeansOfType(DedupEngine.class).isEmpty()) {
			return null;
		}
		return ForwardingDedupStore.find(context.getBean(DedupEngine.class).store(), CountingDedupStore.class);
	}

	/**
	 * CPU time so far of the threads that do the consuming and dedup's client work: the listener containers'
	 * consumer threads, Lettuce's event loops, and dedup's completion and lease threads.
	 */
	private static Map<Long, Long> clientCpu() {
		ThreadMXBean threads = ManagementFactory.getThreadMXBean();
		Map<Long, Long> cpu = new HashMap<>();
		for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
			if (info == null) {
				continue;
			}
			String name = info.getThreadName();
			if (name.contains("KafkaListenerEndpointContainer") || name.startsWith("lettuce-")
					|| name.startsWith("dedup-")) {
				long time = threads.getThreadCpuTime(info.getThreadId());
				if (time >= 0) {
					cpu.put(info.getThreadId(), time);
				}
			}
		}
		return cpu;
	}

	/**
	 * The busy CPU time so far of all of the machine's CPUs, every process (user, nice, system, irq, softirq
	 * in {@code /proc/stat}, in the kernel's ticks of 10 ms); -1 where there is no {@code /proc/stat}. What a
	 * variant costs the machine per record, whatever the scheduler made of its rate.
	 */
	private static long machineCpuMicros() {
		try {
			String[] fields = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
			long ticks = 0;
			for (int field : new int[] { 1, 2, 3, 6, 7 }) {
				ticks += Long.parseLong(fields[field]);
			}
			return ticks * 10_000;
		}
		catch (IOException | RuntimeException ex) {
			return -1;
		}
	}

	/** Redis's own CPU time so far (user + system), from {@code INFO cpu}. */
	private static long redisCpuMicros(StringRedisTemplate redis) {
		Properties info = redis.execute((RedisCallback<Properties>) connection -> connection.serverCommands().info("cpu"));
		if (info == null) {
			return 0;
		}
		double seconds = Double.parseDouble(info.getProperty("used_cpu_user", "0"))
				+ Double.parseDouble(info.getProperty("used_cpu_sys", "0"));
		return (long) (seconds * 1_000_000);
	}

	/**
	 * Empties the benchmark's own tables, outside the timed part, so every round starts from the same small
	 * table. Kept, the rows of earlier runs had grown the dedup table to 3 million rows and 1 GB, eight times
	 * MariaDB's default buffer pool, and each round's cost depended on how many runs came before it.
	 */
	private static void emptyTables(JdbcTemplate jdbc) {
		for (String table : BENCHMARK_TABLES) {
			boolean exists = Boolean.TRUE.equals(jdbc.execute((ConnectionCallback<Boolean>) connection -> {
				try (ResultSet found = connection.getMetaData().getTables(connection.getCatalog(), null, table, null)) {
					return found.next();
				}
			}));
			if (exists) {
				jdbc.execute("TRUNCATE TABLE " + table);
			}
		}
	}

	/**
	 * Deletes a round's keys from Redis, outside the timed part. Left to expire, the keys of earlier rounds
	 * (millions, after a long run) cost Redis its active expiry cycles during later rounds: Redis' CPU per
	 * record doubled in one run that followed others, and the rates moved by ±30 %.
	 */
	private static void deleteKeys(StringRedisTemplate redis, String... patterns) {
		for (String pattern : patterns) {
			List<String> batch = new ArrayList<>(1000);
			try (Cursor<String> keys = redis.scan(ScanOptions.scanOptions().match(pattern).count(1000).build())) {
				while (keys.hasNext()) {
					batch.add(keys.next());
					if (batch.size() == 1000) {
						redis.unlink(batch);
						batch.clear();
					}
				}
			}
			if (!batch.isEmpty()) {
				redis.unlink(batch);
			}
		}
	}

	/** Every record must have been claimed (fresh group, unique ids): otherwise dedup skipped work. */
	private static void checkAcquired(Variant variant, long acquired, long records) {
		if (!variant.dedup()) {
			return;
		}
		if (acquired != records) {
			throw new IllegalStateException(variant.label + " acquired " + acquired + " of " + records + " records");
		}
	}

	private void printReport(PrintStream out, int records, int rounds, int warmupRounds,
			Map<Variant, List<Round>> results) {
		double rawRate = median(results.get(Variant.RAW), Round::recordsPerSecond);
		double rawSteady = median(results.get(Variant.RAW), Round::steadyRecordsPerSecond);
		out.println();
		out.printf("%,d records, %d partitions, concurrency %d, %d rounds (+%d warm-up), "
				+ "%d CPUs, Java %s%n", records, PARTITIONS, CONCURRENCY, rounds, warmupRounds,
				Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
		out.printf("%s listener, work per record: %s%n", stringOption("listener", "record"), work());
		out.printf("dedup classes from %s%n%n", EngineBenchmark.dedupLocation());
		out.println("| variant | median records/s | ÷ raw | median first record after (ms) "
				+ "| median records/s, first → last record | ÷ raw | rounds (records/s) |");
		out.println("|---|---:|---:|---:|---:|---:|---|");
		for (Map.Entry<Variant, List<Round>> entry : results.entrySet()) {
			List<Round> measured = entry.getValue();
			double rate = median(measured, Round::recordsPerSecond);
			double steady = median(measured, Round::steadyRecordsPerSecond);
			List<String> each = new ArrayList<>();
			measured.forEach(r -> each.add(String.format("%,.0f", r.recordsPerSecond())));
			out.printf("| %s | %,.0f | %.2f | %,.0f | %,.0f | %.2f | %s |%n", entry.getKey().label, rate,
					rate / rawRate, median(measured, Round::firstRecordMillis), steady, steady / rawSteady,
					String.join(", ", each));
		}
		out.println();
		out.println("| variant | store calls per 1,000 records | keys per store call | client CPU µs per record "
				+ "(consumer, Lettuce, dedup threads) | Redis CPU µs per record | machine CPU µs per record "
				+ "(every process) |");
		out.println("|---|---:|---:|---:|---:|---:|");
		for (Map.Entry<Variant, List<Round>> entry : results.entrySet()) {
			List<Round> measured = entry.getValue();
			out.printf("| %s | %.1f | %.0f | %.1f | %.1f | %.1f |%n", entry.getKey().label,
					median(measured, Round::storeCallsPerThousand), median(measured, Round::keysPerCall),
					median(measured, Round::clientCpuMicrosPerRecord), median(measured, Round::redisCpuMicrosPerRecord),
					median(measured, Round::machineCpuMicrosPerRecord));
		}
		out.println();
		out.println("Where the machine's CPU went, µs per record (median of the rounds; /proc's 10 ms ticks):");
		out.println();
		out.println("| variant | " + String.join(" | ", CpuParts.PARTS) + " |");
		out.println("|---|" + "---:|".repeat(CpuParts.PARTS.size()));
		for (Map.Entry<Variant, List<Round>> entry : results.entrySet()) {
			List<String> cells = new ArrayList<>();
			for (String part : CpuParts.PARTS) {
				cells.add(String.format("%.1f", median(entry.getValue(), round -> round.cpuMicrosPerRecord(part))));
			}
			out.printf("| %s | %s |%n", entry.getKey().label, String.join(" | ", cells));
		}
		out.println();
		printCallTimes(out, results);
	}

	/**
	 * Each store operation's calls per 1,000 records and mean wall time per call (median of the rounds): the
	 * time a consumer thread waits for a poll's claim, and a completing thread for its marks.
	 */
	private static void printCallTimes(PrintStream out, Map<Variant, List<Round>> results) {
		Set<StoreOperation> used = EnumSet.noneOf(StoreOperation.class);
		results.values().forEach(rounds -> rounds.forEach(round -> used.addAll(round.callTimes().keySet())));
		if (used.isEmpty()) {
			return;
		}
		out.println("Store calls by operation: calls per 1,000 records / mean µs per call, as the engine timed them "
				+ "(median of the rounds):");
		out.println();
		out.println("| variant | " + String.join(" | ", used.stream().map(StoreOperation::methodName).toList()) + " |");
		out.println("|---|" + "---:|".repeat(used.size()));
		for (Map.Entry<Variant, List<Round>> entry : results.entrySet()) {
			List<String> cells = new ArrayList<>();
			for (StoreOperation operation : used) {
				double calls = median(entry.getValue(), round -> round.callsPerThousand(operation));
				cells.add(calls == 0 ? "–" : String.format("%.1f / %,.0f", calls,
						median(entry.getValue(), round -> round.microsPerCall(operation))));
			}
			out.printf("| %s | %s |%n", entry.getKey().label, String.join(" | ", cells));
		}
		out.println();
	}

	private static double median(List<Round> rounds, ToDoubleFunction<Round> value) {
		double[] values = rounds.stream().mapToDouble(value).sorted().toArray();
		int middle = values.length / 2;
		return (values.length % 2 == 1) ? values[middle] : (values[middle - 1] + values[middle]) / 2;
	}

	private int intOption(String name, int defaultValue) {
		return this.options.intOption(name, defaultValue);
	}

	private String stringOption(String name, String defaultValue) {
		return this.options.stringOption(name, defaultValue);
	}

}
