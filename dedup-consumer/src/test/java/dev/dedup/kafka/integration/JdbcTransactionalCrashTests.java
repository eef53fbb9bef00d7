package dev.dedup.kafka.integration;

import static dev.dedup.kafka.integration.JdbcConsumerRuns.count;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;

import com.zaxxer.hikari.HikariDataSource;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.jdbc.core.JdbcTemplate;

import dev.dedup.test.services.ChildJvm;
import dev.dedup.test.services.TestDatabase;
import dev.dedup.test.services.TestMariaDb;
import dev.dedup.test.services.TestPostgres;

/**
 * Transactional mode under SIGKILL, on MariaDB and PostgreSQL: two consumer JVMs of one group
 * ({@link TransactionalJdbcConsumer}: one business row per message in a JDBC transaction, per record in a
 * container transaction, or per batch in a container transaction or a {@code @Transactional} method) work
 * through a stream with resent ids, and are killed at random moments, twice, and replaced. A killed
 * consumer's open transaction rolls back its claim with its business row, and a committed one carries its
 * CONSUMED mark, so whatever the redeliveries: exactly one business row per unique id, none missing.
 */
class JdbcTransactionalCrashTests {

	private static final int UNIQUE_IDS = 240;

	@ParameterizedTest(name = "{0} {1}")
	@CsvSource({ "mariadb, record", "postgresql, record", "mariadb, batch-transactional-method",
			"postgresql, batch-container-tx" })
	void killedConsumersLeaveExactlyOneBusinessRowPerIdNoneMissing(String vendor, String style) throws Exception {
		TestDatabase database = vendor.equals("mariadb") ? TestMariaDb.get() : TestPostgres.get();
		String run = UUID.randomUUID().toString().substring(0, 8);
		String topic = "jdbc-crash-" + run;
		String orders = "orders_" + run;
		String dedupTable = "dd_crash_" + run;
		long seed = Long.getLong("dedup.crash.seed", System.nanoTime()); // -Ddedup.crash.seed=<seed> replays a run
		Random random = new Random(seed);

		HikariDataSource dataSource = JdbcConsumerRuns.dataSourceWithOrders(database, orders);
		JdbcTemplate jdbc = new JdbcTemplate(dataSource);
		List<ChildJvm> children = new ArrayList<>();
		try {
			Map<String, Object> properties = JdbcConsumerRuns.consumerApp(database, topic, 2, "jdbc-crash-" + run,
					dedupTable, orders, style);
			properties.put("spring.kafka.consumer.properties.session.timeout.ms", "6000");
			properties.put("spring.kafka.consumer.properties.heartbeat.interval.ms", "1000");
			// A @Transactional listener method claims before its transaction: a killed one's claims wait out this.
			properties.put("dedup.kafka.lease", "3s");
			properties.put("test.handler-millis", "10");
			properties.put("test.after-commit-millis", "20");

			// Every id once, and a third of them resent later in the stream with a new offset.
			List<String> stream = new ArrayList<>();
			for (int i = 0; i < UNIQUE_IDS; i++) {
				stream.add("order-" + run + "-" + i);
				if (i % 3 == 2) {
					stream.add("order-" + run + "-" + random.nextInt(i));
				}
			}
			TestKafka.get().send(topic, stream);

			children.add(start(vendor, "a", properties));
			children.add(start(vendor, "b", properties));
			// Two kills at random moments while rows are being written, each followed by a replacement.
			for (int kill = 0; kill < 2; kill++) {
				int threshold = (kill + 1) * UNIQUE_IDS / 4;
				await().atMost(Duration.ofSeconds(60))
					.failFast("a consumer died:\n" + outputs(children), () -> children.stream().noneMatch(ChildJvm::isAlive))
					.until(() -> count(jdbc, "SELECT COUNT(*) FROM " + orders) >= threshold);
				Thread.sleep(random.nextInt(400));
				ChildJvm victim = children.remove(random.nextInt(children.size()));
				victim.kill();
				children.add(start(vendor, "r" + kill, properties));
			}
			try {
				await().atMost(Duration.ofSeconds(60))
					.untilAsserted(() -> assertThat(count(jdbc, "SELECT COUNT(DISTINCT id) FROM " + orders))
						.as("seed %d, consumers:%n%s", seed, outputs(children))
						.isEqualTo(UNIQUE_IDS));
			}
			catch (ConditionTimeoutException ex) {
				reportMissing(jdbc, vendor, style, seed, orders, dedupTable, stream);
				throw ex;
			}
			JdbcConsumerRuns.assertOneRowAndOneMarkPerId(jdbc, orders, dedupTable, UNIQUE_IDS, "seed " + seed);
		}
		finally {
			JdbcConsumerRuns.cleanUp(children, dataSource, orders, dedupTable);
		}
	}

	private static ChildJvm start(String vendor, String name, Map<String, Object> properties) throws Exception {
		return JdbcConsumerRuns.start("jdbc-crash", vendor, name, properties);
	}

	/** The ids that never got a business row, with what the dedup table holds for each: the next session's lead. */
	private static void reportMissing(JdbcTemplate jdbc, String vendor, String style, long seed, String orders,
			String dedupTable, List<String> stream) {
		Set<String> written = new HashSet<>(
				jdbc.queryForList("SELECT DISTINCT id FROM " + orders, String.class));
		String key = vendor.equals("mariadb") ? "CAST(dedup_key AS CHAR)" : "dedup_key";
		StringBuilder report = new StringBuilder("JdbcTransactionalCrashTests " + vendor + " " + style + " seed " + seed
				+ ": ids without a business row, their position in the stream and their dedup rows:\n");
		stream.stream().distinct().filter(id -> !written.contains(id)).limit(20).forEach(id -> report.append("  ")
			.append(id).append(" #").append(stream.indexOf(id)).append(' ')
			.append(jdbc.queryForList("SELECT " + key + " AS k, state, owner, expires_at FROM " + dedupTable
					+ " WHERE " + key + " LIKE ?", "%:" + id))
			.append('\n'));
		System.out.println(report);
	}

	private static String outputs(List<ChildJvm> children) {
		StringBuilder out = new StringBuilder();
		for (ChildJvm child : children) {
			String output = child.output(); // once: the log grows while the child runs
			out.append(output, Math.max(0, output.length() - 3000), output.length()).append("\n---\n");
		}
		return out.toString();
	}

}
