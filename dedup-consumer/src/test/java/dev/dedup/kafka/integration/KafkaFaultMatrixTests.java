package dev.dedup.kafka.integration;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import com.zaxxer.hikari.HikariDataSource;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.jdbc.core.JdbcTemplate;

import dev.dedup.test.services.ChildJvm;
import dev.dedup.test.services.FreezableProxy;
import dev.dedup.test.services.PrivateRedisServer;
import dev.dedup.test.services.TestDatabase;
import dev.dedup.test.services.TestMariaDb;
import dev.dedup.test.services.TestRedis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The fault matrix: {@value #DEFAULT_RECORDS} records, about a fifth of them resends of an earlier id, are
 * produced over {@value #PRODUCE_SECONDS} s to consumer JVMs (children of this one) while seeded faults hit
 * them: a consumer killed with SIGKILL five times (and started again), a third consumer joining and later
 * leaving (two rebalances), the store frozen for longer than the store timeout, and the store killed and
 * restarted. Two modes: record listeners with poll batching on Redis (a private {@code redis-server} with its
 * data on disk, frozen with SIGSTOP and killed with SIGKILL; handlers slower than the lease too), and the JDBC
 * transactional mode on MariaDB (behind a {@link FreezableProxy} that hangs or breaks every connection).
 * <p>
 * Each prints a table (mode, sent, unique ids, effects, lost, extra effects, faults) and asserts: nothing is
 * lost, none runs twice in transactional mode, and elsewhere extra effects stay within the window the README
 * documents — a consumer that dies after a side effect and before its mark, or a store that fails then,
 * re-runs at most the records of one poll.
 * <p>
 * The seed is printed; {@code ./mvnw -pl dedup-consumer verify -Dtest=KafkaFaultMatrixTests
 * -Ddedup.faults.seed=<seed>} replays the same plan ({@code -Ddedup.faults.records=<n>} changes its size).
 */
class KafkaFaultMatrixTests {

	static final int DEFAULT_RECORDS = 20_000;

	static final int PRODUCE_SECONDS = 40;

	static final int MAX_POLL_RECORDS = 100;

	static final int PARTITIONS = 4;

	static final Duration LEASE = Duration.ofSeconds(2);

	static final Duration SLOW_HANDLER = LEASE.plusSeconds(1);

	enum Fault {

		KILL_CONSUMER, CONSUMER_JOINS, CONSUMER_LEAVES, FREEZE_STORE, KILL_STORE

	}

	record Planned(long atMillis, Fault fault) {
	}

	/** What a mode does to its store for the store faults, and how it counts effects. */
	interface Mode extends AutoCloseable {

		String name();

		Class<?> consumer();

		Map<String, Object> properties(String run, String topic);

		void freezeStore();

		void thawStore();

		void killStore();

		void startStore();

		/** Effects per id so far. */
		Map<String, Long> effects();

		/** Extra effects the README allows for these faults. */
		long window(Map<Fault, Integer> injected);

		/** What the store holds for {@code id}, for the report of a failed run. */
		String storeEntry(String id);

	}

	@Test
	void recordListenersOnRedisLoseNothingThroughKillsRebalancesAndStoreFaults() throws Exception {
		try (Mode mode = new RedisMode()) {
			run(mode);
		}
	}

	@Test
	void jdbcTransactionalModeLosesNothingAndRunsNothingTwiceThroughKillsRebalancesAndStoreFaults() throws Exception {
		try (Mode mode = new TransactionalJdbcMode()) {
			run(mode);
		}
	}

	private static void run(Mode mode) throws Exception {
		long seed = Long.getLong("dedup.faults.seed", new SecureRandom().nextLong());
		int records = Integer.getInteger("dedup.faults.records", DEFAULT_RECORDS);
		System.out.println("Fault matrix (" + mode.name() + ") seed " + seed + ", " + records + " records; replay "
				+ "with: ./mvnw -pl dedup-consumer verify -Dtest=KafkaFaultMatrixTests -Ddedup.faults.seed=" + seed);
		Random random = new Random(seed);
		List<String> payloads = payloads(random, records);
		List<Planned> plan = plan(random);
		String run = UUID.randomUUID().toString().substring(0, 8);
		String topic = "faults-" + run;
		Map<String, Object> properties = mode.properties(run, topic);
		properties.put("spring.kafka.consumer.max-poll-records", MAX_POLL_RECORDS);
		// The broker notices a killed consumer after this long (default 45 s); 6 s is the broker's minimum.
		properties.put("spring.kafka.consumer.properties.session.timeout.ms", "6000");
		properties.put("spring.kafka.consumer.properties.heartbeat.interval.ms", "1000");
		properties.put("spring.jmx.enabled", "false");

		Map<Fault, Integer> injected = new LinkedHashMap<>();
		List<ChildJvm> consumers = new ArrayList<>();
		List<ChildJvm> everyConsumer = new ArrayList<>(); // killed ones too, for the report of a failed run
		try {
			consumers.add(ChildJvm.start(mode.consumer(), "faults-" + run + "-c0", properties));
			consumers.add(ChildJvm.start(mode.consumer(), "faults-" + run + "-c1", properties));
			everyConsumer.addAll(consumers);

			// The clock starts once the consumers are up, so the faults fall on consumption, not on JVM start-up.
			String warmUp = payloads.get(0);
			TestKafka.get().send(topic, List.of(warmUp));
			await("the consumers to start").atMost(Duration.ofMinutes(2))
				.pollInterval(Duration.ofMillis(200))
				.failFast("every consumer exited", () -> consumers.stream().noneMatch(ChildJvm::isAlive))
				.until(() -> mode.effects().containsKey(warmUp));
			AtomicReference<Throwable> producerFailure = new AtomicReference<>();
			Thread producer = new Thread(() -> produce(topic, payloads.subList(1, payloads.size()), producerFailure),
					"fault-matrix-producer");
			long start = System.nanoTime();
			producer.start();
			ChildJvm joined = null;
			int started = consumers.size();
			for (Planned fault : plan) {
				sleepUntil(start, fault.atMillis());
				switch (fault.fault()) {
					case KILL_CONSUMER -> {
						int victim = random.nextInt(consumers.size());
						consumers.get(victim).kill();
						consumers.set(victim, ChildJvm.start(mode.consumer(), "faults-" + run + "-c" + started++,
								properties));
						everyConsumer.add(consumers.get(victim));
					}
					case CONSUMER_JOINS -> {
						joined = ChildJvm.start(mode.consumer(), "faults-" + run + "-joined", properties);
						everyConsumer.add(joined);
					}
					case CONSUMER_LEAVES -> {
						if (joined != null) {
							joined.stop();
						}
					}
					case FREEZE_STORE -> {
						mode.freezeStore();
						Thread.sleep(3_000); // longer than dedup.store-timeout (2 s)
						mode.thawStore();
					}
					case KILL_STORE -> {
						mode.killStore();
						Thread.sleep(2_000);
						mode.startStore();
					}
				}
				injected.merge(fault.fault(), 1, Integer::sum);
				System.out.printf("fault matrix: %6d ms %-15s (%d ids had taken effect)%n",
						TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), fault.fault(), mode.effects().size());
			}
			producer.join();
			assertThat(producerFailure.get()).as("producer failure").isNull();
			if (joined != null) {
				joined.close();
			}

			long unique = payloads.stream().distinct().count();
			try {
				await("every id to take effect").atMost(Duration.ofMinutes(4))
					.pollInterval(Duration.ofSeconds(1))
					.failFast("every consumer exited", () -> consumers.stream().noneMatch(ChildJvm::isAlive))
					.until(() -> mode.effects().size() >= unique);
			}
			catch (ConditionTimeoutException ex) {
				reportMissing(mode, payloads, everyConsumer, seed);
				throw ex;
			}
			Thread.sleep(3_000); // let a straggling duplicate land before counting

			Map<String, Long> counts = mode.effects();
			long effectCount = counts.values().stream().mapToLong(Long::longValue).sum();
			long lost = payloads.stream().distinct().filter(id -> !counts.containsKey(id)).count();
			long extra = effectCount - counts.size();
			long window = mode.window(injected);
			printTable(mode.name(), payloads.size(), unique, effectCount, lost, extra, window, injected);

			assertThat(lost).as("ids that never took effect (seed %d)", seed).isZero();
			assertThat(extra).as("extra effects, within the documented window of %d (seed %d)", window, seed)
				.isLessThanOrEqualTo(window);
			assertThat(injected).containsEntry(Fault.KILL_CONSUMER, 5)
				.containsEntry(Fault.CONSUMER_JOINS, 1)
				.containsEntry(Fault.CONSUMER_LEAVES, 1)
				.containsEntry(Fault.FREEZE_STORE, 1)
				.containsEntry(Fault.KILL_STORE, 1);
		}
		finally {
			for (ChildJvm consumer : consumers) {
				consumer.close();
			}
		}
	}

	/**
	 * Record listeners with poll batching on the Redis store, a private {@code redis-server} with its data on
	 * disk; effects are counted per id in the shared Redis.
	 */
	static final class RedisMode implements Mode {

		private final PrivateRedisServer store = new PrivateRedisServer();

		private final StringRedisTemplate effectsRedis = effectsRedis();

		private String effectsKey = "";

		@Override
		public String name() {
			return "record listener, Redis";
		}

		@Override
		public Class<?> consumer() {
			return FaultMatrixConsumer.class;
		}

		@Override
		public Map<String, Object> properties(String run, String topic) {
			this.effectsKey = "faults-effects-" + run;
			Map<String, Object> properties = TestKafka.get()
				.consumerApp(topic, PARTITIONS, "faults-group-" + run, "faults-" + run, this.store.url());
			properties.put("dedup.kafka.lease", LEASE.toMillis() + "ms");
			properties.put("test.effects-url", TestRedis.get().url());
			properties.put("test.effects-prefix", this.effectsKey);
			properties.put("test.slow-millis", SLOW_HANDLER.toMillis());
			return properties;
		}

		@Override
		public void freezeStore() {
			this.store.freeze();
		}

		@Override
		public void thawStore() {
			this.store.thaw();
		}

		@Override
		public void killStore() {
			this.store.kill();
		}

		@Override
		public void startStore() {
			this.store.start();
		}

		@Override
		public Map<String, Long> effects() {
			Map<String, Long> counts = new HashMap<>();
			this.effectsRedis.<String, String>opsForHash()
				.entries(this.effectsKey)
				.forEach((id, count) -> counts.put(id, Long.parseLong(count)));
			return counts;
		}

		/** Each crash re-runs at most one poll of its consumer; each store fault at most one poll per consumer. */
		@Override
		public long window(Map<Fault, Integer> injected) {
			int crashes = injected.getOrDefault(Fault.KILL_CONSUMER, 0);
			int storeFaults = injected.getOrDefault(Fault.FREEZE_STORE, 0) + injected.getOrDefault(Fault.KILL_STORE, 0);
			return (long) (crashes + storeFaults * 3) * MAX_POLL_RECORDS;
		}

		@Override
		public String storeEntry(String id) {
			return "(see the private store's keys *:" + id + ")";
		}

		@Override
		public void close() {
			this.effectsRedis.delete(this.effectsKey);
			((LettuceConnectionFactory) this.effectsRedis.getConnectionFactory()).destroy();
			this.store.close();
		}

	}

	/**
	 * The JDBC transactional mode on MariaDB: a container in a JDBC transaction writes one business row per
	 * message and dedup's mark in the same transaction. The database is reached through a
	 * {@link FreezableProxy}: frozen, it hangs; "killed", every connection breaks. No extra effect is allowed.
	 */
	static final class TransactionalJdbcMode implements Mode {

		private final TestDatabase database = TestMariaDb.get();

		private final FreezableProxy proxy = new FreezableProxy(this.database.host(), this.database.port());

		private final HikariDataSource dataSource = new HikariDataSource();

		private final JdbcTemplate jdbc;

		private String orders = "";

		private String dedupTable = "";

		TransactionalJdbcMode() {
			this.dataSource.setJdbcUrl(this.database.jdbcUrl());
			this.jdbc = new JdbcTemplate(this.dataSource);
		}

		@Override
		public String name() {
			return "JDBC transactional, MariaDB";
		}

		@Override
		public Class<?> consumer() {
			return TransactionalJdbcConsumer.class;
		}

		@Override
		public Map<String, Object> properties(String run, String topic) {
			this.orders = "orders_faults_" + run;
			this.dedupTable = "dd_faults_" + run;
			this.jdbc.execute("CREATE TABLE " + this.orders + " (id VARCHAR(100) NOT NULL, consumer VARCHAR(40))");
			Map<String, Object> properties = TestKafka.get().consumerApp(topic, PARTITIONS, "faults-group-" + run,
					"faults", "");
			properties.remove("spring.data.redis.url");
			properties.put("dedup.store", "jdbc");
			properties.put("dedup.jdbc.table-name", this.dedupTable);
			properties.put("dedup.jdbc.purge.enabled", "false");
			properties.put("spring.datasource.url", this.database.jdbcUrl()
				.replace(this.database.host() + ":" + this.database.port(), "127.0.0.1:" + this.proxy.port()));
			// Boot's pool would wait 30 s for a connection; keep it near the store timeout.
			properties.put("spring.datasource.hikari.connection-timeout", "3000");
			properties.put("test.orders-table", this.orders);
			return properties;
		}

		@Override
		public void freezeStore() {
			this.proxy.freeze();
		}

		@Override
		public void thawStore() {
			this.proxy.thaw();
		}

		@Override
		public void killStore() {
			this.proxy.freeze();
			this.proxy.dropConnections();
		}

		@Override
		public void startStore() {
			this.proxy.thaw();
		}

		@Override
		public Map<String, Long> effects() {
			Map<String, Long> counts = new HashMap<>();
			this.jdbc.query("SELECT id, COUNT(*) FROM " + this.orders + " GROUP BY id",
					(row) -> { counts.put(row.getString(1), row.getLong(2)); });
			return counts;
		}

		/** The business row and the mark commit together: nothing may run twice. */
		@Override
		public long window(Map<Fault, Integer> injected) {
			return 0;
		}

		@Override
		public String storeEntry(String id) {
			return this.jdbc.queryForList("SELECT CAST(dedup_key AS CHAR) AS dedup_key, state, owner, expires_at, NOW(3) AS now FROM " + this.dedupTable
					+ " WHERE dedup_key LIKE ?", "%:" + id).toString();
		}

		@Override
		public void close() {
			this.jdbc.execute("DROP TABLE IF EXISTS " + this.orders);
			this.jdbc.execute("DROP TABLE IF EXISTS " + this.dedupTable);
			this.jdbc.execute("DROP TABLE IF EXISTS " + this.dedupTable + "_schema_history");
			this.dataSource.close();
			this.proxy.close();
		}

	}

	/** Ids in order of sending: {@code records} in all, about a fifth resending an id sent before, some slow. */
	static List<String> payloads(Random random, int records) {
		List<String> payloads = new ArrayList<>(records);
		for (int i = 0; i < records; i++) {
			if (i > 0 && random.nextInt(5) == 0) {
				payloads.add(payloads.get(random.nextInt(payloads.size())));
			}
			else {
				payloads.add((random.nextInt(2000) == 0 ? "slow-" : "id-") + i);
			}
		}
		return payloads;
	}

	/** The faults at seeded moments of the production window, one to a slot so they do not pile up. */
	static List<Planned> plan(Random random) {
		List<Fault> faults = new ArrayList<>(List.of(Fault.KILL_CONSUMER, Fault.KILL_CONSUMER, Fault.KILL_CONSUMER,
				Fault.KILL_CONSUMER, Fault.KILL_CONSUMER, Fault.CONSUMER_JOINS, Fault.FREEZE_STORE, Fault.KILL_STORE));
		Collections.shuffle(faults, random);
		long slot = TimeUnit.SECONDS.toMillis(PRODUCE_SECONDS - 4) / faults.size();
		List<Planned> plan = new ArrayList<>();
		for (int i = 0; i < faults.size(); i++) {
			long at = 3_000 + i * slot + random.nextInt((int) (slot / 2));
			plan.add(new Planned(at, faults.get(i)));
			if (faults.get(i) == Fault.CONSUMER_JOINS) {
				plan.add(new Planned(at + 8_000, Fault.CONSUMER_LEAVES));
			}
		}
		plan.sort(Comparator.comparingLong(Planned::atMillis));
		return plan;
	}

	private static void produce(String topic, List<String> payloads, AtomicReference<Throwable> failure) {
		int slices = PRODUCE_SECONDS * 10;
		int perSlice = Math.max(1, payloads.size() / slices);
		long start = System.nanoTime();
		try (KafkaProducer<String, String> producer = TestKafka.get().producer()) {
			for (int i = 0; i < payloads.size(); i++) {
				String id = payloads.get(i);
				producer.send(TestKafka.record(topic, null, id, id));
				if ((i + 1) % perSlice == 0) {
					producer.flush();
					sleepUntil(start, ((i + 1) / perSlice) * 100L);
				}
			}
			producer.flush();
		}
		catch (Throwable ex) {
			failure.set(ex);
		}
	}

	/** What a run that lost ids leaves to go on: which ids, what the store holds for them, the consumers' errors. */
	private static void reportMissing(Mode mode, List<String> payloads, List<ChildJvm> consumers, long seed) {
		Map<String, Long> counts = mode.effects();
		List<String> missing = payloads.stream().distinct().filter(id -> !counts.containsKey(id)).toList();
		StringBuilder report = new StringBuilder("\nFault matrix (" + mode.name() + ", seed " + seed + "): "
				+ missing.size() + " ids never took effect, first ones with their position in the sending order "
				+ "and the store's entry:\n");
		missing.stream().limit(10).forEach(id -> report.append("  ").append(id).append(" sent #")
			.append(payloads.indexOf(id)).append(": ").append(mode.storeEntry(id)).append('\n'));
		for (ChildJvm consumer : consumers) {
			List<String> problems = consumer.output().lines()
				.filter(line -> line.contains(" ERROR ") || (line.contains(" WARN ") && !line.contains("HikariPool")))
				.toList();
			report.append("consumer ").append(consumer).append(consumer.isAlive() ? " (alive)" : " (gone)")
				.append(": ").append(problems.size()).append(" ERROR/WARN lines, the last ones:\n");
			problems.stream().skip(Math.max(0, problems.size() - 15)).forEach(line -> report.append("  ")
				.append(line.length() > 400 ? line.substring(0, 400) + "…" : line).append('\n'));
		}
		System.out.println(report);
	}

	private static void printTable(String mode, long sent, long unique, long effects, long lost, long extra,
			long window, Map<Fault, Integer> injected) {
		String header = String.format("| %-28s | %6s | %10s | %7s | %4s | %15s | %s |", "mode", "sent", "unique ids",
				"effects", "lost", "extra effects", "faults injected");
		StringBuilder table = new StringBuilder("\nFault matrix\n").append(header).append('\n')
			.append(header.replaceAll("[^|]", "-")).append('\n');
		table.append(String.format("| %-28s | %6d | %10d | %7d | %4d | %5d (max %4d) | %s |", mode, sent, unique, effects,
				lost, extra, window, injected));
		System.out.println(table);
	}

	private static void sleepUntil(long startNanos, long atMillis) {
		long wait = atMillis - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
		if (wait > 0) {
			try {
				Thread.sleep(wait);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new IllegalStateException(ex);
			}
		}
	}

	private static StringRedisTemplate effectsRedis() {
		LettuceConnectionFactory factory = new LettuceConnectionFactory(
				LettuceConnectionFactory.createRedisConfiguration(TestRedis.get().url()));
		factory.afterPropertiesSet();
		factory.start();
		return new StringRedisTemplate(factory);
	}

}
