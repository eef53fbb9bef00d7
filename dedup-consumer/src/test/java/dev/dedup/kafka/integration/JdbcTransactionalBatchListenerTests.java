package dev.dedup.kafka.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.kafka.autoconfigure.ConcurrentKafkaListenerContainerFactoryConfigurer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.transaction.PlatformTransactionManager;

import dev.dedup.core.store.DedupStore;
import dev.dedup.jdbc.JdbcDedupStore;
import dev.dedup.kafka.poll.DedupKafkaStats;
import dev.dedup.kafka.poll.DedupKafkaStats.Event;
import dev.dedup.test.services.TestMariaDb;

/**
 * Transactional mode for a batch listener, on MariaDB: the container runs each batch in a JDBC transaction,
 * the JDBC store writes the batch's claims in it and all its marks in one statement just before it commits.
 * A batch that fails after its inserts rolls back the inserts and the claims together, so the redelivery
 * processes it again and exactly one row per id remains; copies of processed ids write nothing.
 */
class JdbcTransactionalBatchListenerTests {

	@Test
	void aBatchsRowsAndItsMarksCommitAndRollBackTogether() {
		String run = UUID.randomUUID().toString().substring(0, 8);
		String topic = "jdbc-tx-batch-" + run;
		String orders = "orders_batch_" + run;
		Map<String, Object> properties = TestKafka.get().consumerApp(topic, 2, "jdbc-tx-batch-" + run, "jtxb", "unused");
		properties.remove("spring.data.redis.url");
		properties.put("dedup.store", "jdbc");
		properties.put("dedup.jdbc.table-name", "dedup_batch_" + run);
		properties.put("dedup.jdbc.purge.enabled", "false");
		properties.put("spring.datasource.url", TestMariaDb.get().jdbcUrl());
		properties.put("spring.jmx.enabled", "false");
		properties.put("test.orders-table", orders);
		try (ConfigurableApplicationContext context = new SpringApplicationBuilder(App.class).properties(properties)
			.run()) {
			JdbcDedupStore store = (JdbcDedupStore) context.getBean(DedupStore.class);
			JdbcTemplate jdbc = new JdbcTemplate(store.dataSource());
			jdbc.execute("CREATE TABLE " + orders + " (id VARCHAR(100) NOT NULL)");
			try {
				List<String> ids = List.of("a-" + run, "flaky-" + run, "b-" + run, "a-" + run, "flaky-" + run, "c-" + run);
				TestKafka.get().send(topic, ids);
				DedupKafkaStats stats = context.getBean(DedupKafkaStats.class);
				await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
					for (String id : Set.copyOf(ids)) {
						assertThat(rows(jdbc, orders, id)).as(id).isEqualTo(1);
					}
				});
				assertThat(context.getBean(App.class).failed).as("the flaky id failed its first batch").isNotEmpty();
				assertThat(stats.count(Event.RELEASED)).as("the failed batch's claims went with its rollback")
					.isPositive();
				TestKafka.get().send(topic, List.of("a-" + run, "marker-" + run));
				await().atMost(Duration.ofSeconds(30)).until(() -> rows(jdbc, orders, "marker-" + run) == 1);
				assertThat(rows(jdbc, orders, "a-" + run)).isEqualTo(1);
				assertThat(jdbc.queryForList("SELECT DISTINCT state FROM dedup_batch_" + run, String.class))
					.containsExactly("D");
			}
			finally {
				jdbc.execute("DROP TABLE " + orders);
				jdbc.execute("DROP TABLE dedup_batch_" + run);
			}
		}
	}

	private static int rows(JdbcTemplate jdbc, String table, String id) {
		return jdbc.queryForObject("SELECT COUNT(*) FROM " + table + " WHERE id = ?", Integer.class, id);
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class App {

		final Set<String> failed = ConcurrentHashMap.newKeySet();

		@Bean
		ConcurrentKafkaListenerContainerFactory<Object, Object> kafkaListenerContainerFactory(
				ConcurrentKafkaListenerContainerFactoryConfigurer configurer,
				ConsumerFactory<Object, Object> consumerFactory, PlatformTransactionManager transactionManager) {
			ConcurrentKafkaListenerContainerFactory<Object, Object> factory = new ConcurrentKafkaListenerContainerFactory<>();
			configurer.configure(factory, consumerFactory);
			factory.setBatchListener(true);
			factory.getContainerProperties().setTransactionManager(transactionManager);
			return factory;
		}

		@Bean
		Orders orders(JdbcTemplate jdbc) {
			return new Orders(jdbc, this);
		}

	}

	static class Orders {

		private final JdbcTemplate jdbc;

		private final App app;

		@org.springframework.beans.factory.annotation.Value("${test.orders-table}")
		String table;

		Orders(JdbcTemplate jdbc, App app) {
			this.jdbc = jdbc;
			this.app = app;
		}

		@KafkaListener(topics = "${test.topic}", groupId = "${test.group}")
		void onBatch(List<ConsumerRecord<String, String>> records) {
			for (ConsumerRecord<String, String> record : records) {
				this.jdbc.update("INSERT INTO " + this.table + " (id) VALUES (?)", record.value());
			}
			for (ConsumerRecord<String, String> record : records) {
				if (record.value().startsWith("flaky-") && this.app.failed.add(record.value())) {
					throw new IllegalStateException("injected failure after the inserts of " + records.size() + " rows");
				}
			}
		}

	}

}
