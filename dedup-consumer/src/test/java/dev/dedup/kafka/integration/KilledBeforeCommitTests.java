package dev.dedup.kafka.integration;

import static dev.dedup.kafka.integration.JdbcConsumerRuns.count;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.jdbc.core.JdbcTemplate;

import dev.dedup.test.services.ChildJvm;
import dev.dedup.test.services.TestDatabase;
import dev.dedup.test.services.TestMariaDb;
import dev.dedup.test.services.TestPostgres;

/**
 * A consumer in a database transaction on the container dies at the worst moment: its listener returned, the
 * container did everything it does inside the transaction, and the database commit has not happened. The
 * container has asked for the batch's offsets (or, with AckMode RECORD, the record's) to be committed by then;
 * if they went out, the records' rows and marks rolled back with the dead connection but the next consumer
 * starts after them. {@code CommitsAfterTransaction} holds those commits until the transaction commits, so
 * the records are redelivered and written once. (A run of {@link JdbcTransactionalCrashTests} lost 10 ids
 * this way before it.)
 */
class KilledBeforeCommitTests {

	private static final int IDS = 60;

	@ParameterizedTest(name = "{0} {1} ack-mode {2}")
	@CsvSource({ "postgresql, batch-container-tx, batch", "mariadb, batch-container-tx, count",
			"mariadb, record, record" })
	void aConsumerKilledAfterItsListenerAndBeforeTheDatabaseCommitLosesNothing(String vendor, String style,
			String ackMode) throws Exception {
		TestDatabase database = vendor.equals("mariadb") ? TestMariaDb.get() : TestPostgres.get();
		String run = UUID.randomUUID().toString().substring(0, 8);
		String topic = "killed-before-commit-" + run;
		String orders = "orders_kbc_" + run;
		String dedupTable = "dd_kbc_" + run;
		HikariDataSource dataSource = JdbcConsumerRuns.dataSourceWithOrders(database, orders);
		JdbcTemplate jdbc = new JdbcTemplate(dataSource);
		List<ChildJvm> children = new ArrayList<>();
		try {
			Map<String, Object> properties = JdbcConsumerRuns.consumerApp(database, topic, 1, "kbc-" + run, dedupTable,
					orders, style);
			properties.put("spring.kafka.listener.ack-mode", ackMode);
			properties.put("spring.kafka.listener.ack-count", "1"); // COUNT: commit at every batch
			List<String> ids = new ArrayList<>();
			for (int i = 0; i < IDS; i++) {
				ids.add("order-" + run + "-" + i);
			}
			TestKafka.get().send(topic, ids);

			Map<String, Object> doomed = new HashMap<>(properties);
			doomed.put("test.halt-before-commit-of", ids.get(IDS / 2 + 3));
			ChildJvm first = start(vendor, "doomed", doomed);
			children.add(first);
			await("the first consumer to die before its commit").atMost(Duration.ofSeconds(90))
				.until(() -> !first.isAlive());
			assertThat(first.output()).contains("halting before the commit");
			long rowsBefore = count(jdbc, "SELECT COUNT(*) FROM " + orders);
			assertThat(rowsBefore).as("rows committed before the kill").isLessThan(IDS);

			children.add(start(vendor, "next", properties));
			await().atMost(Duration.ofSeconds(90))
				.untilAsserted(() -> assertThat(count(jdbc, "SELECT COUNT(DISTINCT id) FROM " + orders))
					.as("ids with a business row (%d were before the kill); the next consumer:%n%s", rowsBefore,
							tail(children.get(1).output()))
					.isEqualTo(IDS));
			JdbcConsumerRuns.assertOneRowAndOneMarkPerId(jdbc, orders, dedupTable, IDS, vendor + " " + style);
		}
		finally {
			JdbcConsumerRuns.cleanUp(children, dataSource, orders, dedupTable);
		}
	}

	private static ChildJvm start(String vendor, String name, Map<String, Object> properties) throws Exception {
		return JdbcConsumerRuns.start("killed-before-commit", vendor, name, properties);
	}

	private static String tail(String output) {
		return output.substring(Math.max(0, output.length() - 3000));
	}

}
