package dev.dedup.kafka.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import dev.dedup.core.store.DedupStore;
import dev.dedup.jdbc.JdbcDedupStore;
import dev.dedup.kafka.poll.DedupKafkaStats;
import dev.dedup.kafka.poll.DedupKafkaStats.Event;

/**
 * Transactional mode in one JVM, on H2: the container runs each record in a JDBC transaction, the JDBC
 * store writes the claim in it and marks it CONSUMED just before the commit. A listener that fails after its
 * insert rolls back the insert and the claim together, so the redelivery processes the message again and
 * exactly one row remains; copies of processed messages write nothing.
 */
class JdbcTransactionalListenerTests {

	@Test
	void theDedupRowCommitsAndRollsBackWithTheBusinessRow() {
		String run = UUID.randomUUID().toString().substring(0, 8);
		String topic = "jdbc-tx-" + run;
		Map<String, Object> properties = TestKafka.get().consumerApp(topic, 1, "jdbc-tx-group", "jtx", "unused");
		properties.remove("spring.data.redis.url");
		properties.put("dedup.store", "jdbc");
		properties.put("spring.datasource.url", "jdbc:h2:mem:jdbc-tx-" + run + ";DB_CLOSE_DELAY=-1");
		properties.put("test.orders-table", "orders");
		properties.put("test.fail-once-prefix", "flaky-");
		try (ConfigurableApplicationContext context = new SpringApplicationBuilder(TransactionalJdbcConsumer.class)
			.properties(properties)
			.run()) {
			JdbcDedupStore store = (JdbcDedupStore) context.getBean(DedupStore.class);
			JdbcTemplate jdbc = new JdbcTemplate(store.dataSource());
			jdbc.execute("CREATE TABLE orders (id VARCHAR(100) NOT NULL, consumer VARCHAR(40))");
			TestKafka.get().send(topic, List.of("once-" + run, "flaky-" + run, "once-" + run, "flaky-" + run));

			DedupKafkaStats stats = context.getBean(DedupKafkaStats.class);
			await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
				assertThat(stats.count(Event.COMPLETED)).isEqualTo(2);
				assertThat(stats.count(Event.DUPLICATE)).isEqualTo(2);
			});
			assertThat(stats.count(Event.RELEASED)).as("the failed attempt's claim went with its rollback")
				.isEqualTo(1);
			assertThat(TransactionalJdbcConsumer.OrderTable.sawStoreJoinTransaction).isTrue();
			assertThat(rows(jdbc, "once-" + run)).isEqualTo(1);
			assertThat(rows(jdbc, "flaky-" + run)).isEqualTo(1);
			assertThat(jdbc.queryForList("SELECT state FROM dedup_record", String.class)).containsExactly("D", "D");
		}
	}

	private static int rows(JdbcTemplate jdbc, String id) {
		return jdbc.queryForObject("SELECT COUNT(*) FROM orders WHERE id = ?", Integer.class, id);
	}

}
