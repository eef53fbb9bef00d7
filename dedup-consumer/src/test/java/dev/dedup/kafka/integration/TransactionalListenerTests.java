package dev.dedup.kafka.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import dev.dedup.kafka.listener.Deduplicate;
import dev.dedup.test.services.TestRedis;

/**
 * The natural user code: a {@code @KafkaListener} that is also {@code @Transactional} (so its bean is a
 * proxy) and writes a business row. Duplicates write no second row; a handler whose transaction rolls back
 * is redelivered and commits exactly one row; {@code @Deduplicate} on the proxied method is honoured.
 */
@SpringBootTest(classes = TransactionalListenerTests.App.class)
class TransactionalListenerTests {

	static final String RUN = UUID.randomUUID().toString().substring(0, 8);

	static final String TOPIC = "tx-orders-" + RUN;

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		TestKafka.get()
			.consumerApp(TOPIC, 1, "tx-group", "tx-" + RUN, TestRedis.get().url())
			.forEach((name, value) -> registry.add(name, () -> value));
		registry.add("spring.datasource.url", () -> "jdbc:h2:mem:tx-" + RUN + ";DB_CLOSE_DELAY=-1");
	}

	@Autowired
	KafkaTemplate<String, String> template;

	@Autowired
	JdbcTemplate jdbc;

	@Autowired
	OrderWriter writer;

	@Test
	void aTransactionalListenerWritesOneRowPerOrderIdWhateverTheCopiesAndRollbacks() {
		String once = "order-" + UUID.randomUUID();
		String flaky = "flaky-" + UUID.randomUUID();
		OrderWriter.rollbacksToInject.set(1);
		OrderWriter.flakyOrder = flaky;
		send("order-id", once, once);
		send("order-id", flaky, flaky);
		send("order-id", once, once);
		send("order-id", flaky, flaky);
		await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
			assertThat(rows(once)).isEqualTo(1);
			assertThat(rows(flaky)).isEqualTo(1);
		});
		String marker = "marker-" + UUID.randomUUID();
		send("order-id", marker, marker);
		await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(rows(marker)).isEqualTo(1));
		assertThat(rows(once)).isEqualTo(1);
		assertThat(rows(flaky)).isEqualTo(1);
		assertThat(OrderWriter.sawTransaction).isTrue();
		assertThat(AopUtils.isAopProxy(this.writer)).isTrue();
	}

	private int rows(String orderId) {
		Integer count = this.jdbc.queryForObject("select count(*) from orders where id = ?", Integer.class, orderId);
		return count == null ? 0 : count;
	}

	private void send(String header, String id, String payload) {
		ProducerRecord<String, String> record = new ProducerRecord<>(TOPIC, payload);
		record.headers().add(header, id.getBytes(StandardCharsets.UTF_8));
		this.template.send(record);
	}

	static class OrderWriter {

		private final JdbcTemplate jdbc;

		// Static: the bean is a CGLIB proxy (for @Transactional), whose own fields are not the target's.
		static final AtomicInteger rollbacksToInject = new AtomicInteger();

		static volatile String flakyOrder = "";

		static volatile boolean sawTransaction;

		OrderWriter(JdbcTemplate jdbc) {
			this.jdbc = jdbc;
			jdbc.execute("create table if not exists orders (id varchar(100) not null)");
		}

		@KafkaListener(topics = "${test.topic}", groupId = "${test.group}")
		@Deduplicate(id = "header('order-id')")
		@Transactional
		public void write(ConsumerRecord<String, String> record) {
			sawTransaction |= TransactionSynchronizationManager.isActualTransactionActive();
			this.jdbc.update("insert into orders (id) values (?)", record.value());
			if (record.value().equals(flakyOrder) && rollbacksToInject.getAndDecrement() > 0) {
				throw new IllegalStateException("injected failure after the insert: the row must roll back");
			}
		}

	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class App {

		@Bean
		OrderWriter orderWriter(JdbcTemplate jdbc) {
			return new OrderWriter(jdbc);
		}

	}

}
