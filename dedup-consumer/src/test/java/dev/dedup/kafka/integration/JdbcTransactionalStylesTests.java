package dev.dedup.kafka.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import dev.dedup.core.store.DedupStore;
import dev.dedup.jdbc.JdbcDedupStore;
import dev.dedup.kafka.poll.DedupKafkaStats;
import dev.dedup.kafka.poll.DedupKafkaStats.Event;
import dev.dedup.test.services.TestMariaDb;

/**
 * Transactional mode on MariaDB for the listener styles {@link JdbcTransactionalListenerTests} does not run:
 * a batch listener whose container runs each batch in a JDBC transaction (the claims and all the marks are
 * written in it), and batch and record listeners that are {@code @Transactional} methods (the claims are
 * made before them, the marks in their transaction just before it commits). A batch (or record) that fails after its inserts rolls back the inserts and the marks together, so the
 * redelivery processes it again and exactly one row per id remains; copies of processed ids write nothing.
 */
class JdbcTransactionalStylesTests {

	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { "batch-container-tx", "batch-transactional-method", "record-transactional-method" })
	void aBatchsRowsAndItsMarksCommitAndRollBackTogether(String style) {
		String run = UUID.randomUUID().toString().substring(0, 8);
		String topic = "jdbc-tx-batch-" + run;
		String orders = "orders_batch_" + run;
		String dedupTable = "dedup_batch_" + run;
		Map<String, Object> properties = TestKafka.get().consumerApp(topic, 2, "jdbc-tx-batch-" + run, "jtxb", "unused");
		properties.remove("spring.data.redis.url");
		properties.put("dedup.store", "jdbc");
		properties.put("dedup.jdbc.table-name", dedupTable);
		properties.put("dedup.jdbc.purge.enabled", "false");
		properties.put("spring.datasource.url", TestMariaDb.get().jdbcUrl());
		properties.put("spring.jmx.enabled", "false");
		properties.put("test.orders-table", orders);
		properties.put("test.style", style);
		properties.put("test.fail-once-prefix", "flaky-");
		try (ConfigurableApplicationContext context = new SpringApplicationBuilder(TransactionalJdbcConsumer.class)
			.properties(properties)
			.run()) {
			JdbcDedupStore store = (JdbcDedupStore) context.getBean(DedupStore.class);
			JdbcTemplate jdbc = new JdbcTemplate(store.dataSource());
			jdbc.execute("CREATE TABLE " + orders + " (id VARCHAR(100) NOT NULL, consumer VARCHAR(40))");
			try {
				List<String> ids = List.of("a-" + run, "flaky-" + run, "b-" + run, "a-" + run, "flaky-" + run, "c-" + run);
				TestKafka.get().send(topic, ids);
				DedupKafkaStats stats = context.getBean(DedupKafkaStats.class);
				await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
					for (String id : Set.copyOf(ids)) {
						assertThat(rows(jdbc, orders, id)).as(id).isEqualTo(1);
					}
				});
				java.util.Set<String> failed = style.startsWith("batch")
						? context.getBean(TransactionalJdbcConsumer.OrderBatches.class).failed()
						: context.getBean(TransactionalJdbcConsumer.OrderRecords.class).failed();
				assertThat(failed).as("the flaky id failed its first attempt").isNotEmpty();
				assertThat(stats.count(Event.RELEASED)).as("the failed batch's claims were given up").isPositive();
				TestKafka.get().send(topic, List.of("a-" + run, "marker-" + run));
				await().atMost(Duration.ofSeconds(30)).until(() -> rows(jdbc, orders, "marker-" + run) == 1);
				assertThat(rows(jdbc, orders, "a-" + run)).isEqualTo(1);
				assertThat(JdbcConsumerRuns.keyStates(jdbc, dedupTable)).containsOnlyKeys("D");
				assertThat(stats.count(Event.COMPLETED)).isEqualTo(5);
			}
			finally {
				jdbc.execute("DROP TABLE " + orders);
				jdbc.execute("DROP TABLE " + dedupTable);
				jdbc.execute("DROP TABLE IF EXISTS " + dedupTable + "_schema_history");
			}
		}
	}

	private static int rows(JdbcTemplate jdbc, String table, String id) {
		return jdbc.queryForObject("SELECT COUNT(*) FROM " + table + " WHERE id = ?", Integer.class, id);
	}

}
