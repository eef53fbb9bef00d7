package dev.dedup.kafka.integration;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sql.DataSource;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.kafka.autoconfigure.ConcurrentKafkaListenerContainerFactoryConfigurer;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.listener.MessageListenerContainer;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.TransactionSystemException;
import org.springframework.transaction.support.DefaultTransactionStatus;

import dev.dedup.test.services.TestRedis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A container in a JDBC transaction whose commit fails after the listener returned (the database went away as
 * it committed): spring-kafka has acknowledged the record inside the transaction already and commits that
 * offset at its next poll, although the record was rolled back and sought back to. Here the database then
 * stays down for a moment and the partition moves (the container stops and starts again) before the record is
 * redelivered: without dedup committing the rolled-back position again, the record is never processed. The
 * fault matrix lost a record this way.
 */
@SpringBootTest(classes = TransactionCommitFailureTests.App.class)
class TransactionCommitFailureTests {

	static final String RUN = UUID.randomUUID().toString().substring(0, 8);

	static final String TOPIC = "commit-failure-" + RUN;

	static final String DOOMED = "doomed-" + RUN;

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		TestKafka.get()
			.consumerApp(TOPIC, 1, "commit-failure-" + RUN, "cf-" + RUN, TestRedis.get().url())
			.forEach((name, value) -> registry.add(name, () -> value));
		registry.add("dedup.store", () -> "memory");
		registry.add("spring.datasource.url", () -> "jdbc:h2:mem:cf-" + RUN + ";DB_CLOSE_DELAY=-1");
	}

	@Autowired
	JdbcTemplate jdbc;

	@Autowired
	FlakyTransactionManager transactions;

	@Autowired
	KafkaListenerEndpointRegistry registry;

	@Test
	void aRecordWhoseCommitFailedIsProcessedAfterThePartitionMovesBeforeItsRedelivery() {
		String after = "after-" + RUN;
		TestKafka.get().send(TOPIC, List.of(DOOMED, after));
		await("the commit of " + DOOMED + " to fail and a redelivery to find the database down")
			.atMost(Duration.ofSeconds(30))
			.until(() -> this.transactions.failedCommits.get() == 1 && this.transactions.failedBegins.get() >= 2);

		MessageListenerContainer container = this.registry.getListenerContainer("commit-failure");
		container.stop(); // the partition is revoked: the container commits what it acknowledged
		this.transactions.databaseDown = false;
		container.start();

		await("both records to be written once").atMost(Duration.ofSeconds(30))
			.untilAsserted(() -> assertThat(List.of(rows(DOOMED), rows(after))).containsExactly(1, 1));
	}

	private int rows(String id) {
		Integer count = this.jdbc.queryForObject("select count(*) from orders where id = ?", Integer.class, id);
		return count == null ? 0 : count;
	}

	/** A transaction manager whose commit fails once, on demand, after which the database is down for a while. */
	static class FlakyTransactionManager extends DataSourceTransactionManager {

		final AtomicBoolean failNextCommit = new AtomicBoolean();

		final AtomicInteger failedCommits = new AtomicInteger();

		final AtomicInteger failedBegins = new AtomicInteger();

		volatile boolean databaseDown;

		FlakyTransactionManager(DataSource dataSource) {
			super(dataSource);
		}

		@Override
		protected void doBegin(Object transaction, TransactionDefinition definition) {
			if (this.databaseDown) {
				this.failedBegins.incrementAndGet();
				sleep(200); // as a pool waits for a connection; keeps the attempts well below the processor's 10
				throw new CannotCreateTransactionException("injected: the database is down");
			}
			super.doBegin(transaction, definition);
		}

		@Override
		protected void doCommit(DefaultTransactionStatus status) {
			if (this.failNextCommit.compareAndSet(true, false)) {
				this.databaseDown = true;
				doRollback(status);
				this.failedCommits.incrementAndGet();
				throw new TransactionSystemException("injected: the connection broke as the transaction committed");
			}
			super.doCommit(status);
		}

		private static void sleep(long millis) {
			try {
				Thread.sleep(millis);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}

	}

	static class Orders {

		private final JdbcTemplate jdbc;

		private final FlakyTransactionManager transactions;

		private final AtomicBoolean doomedOnce = new AtomicBoolean();

		Orders(JdbcTemplate jdbc, FlakyTransactionManager transactions) {
			this.jdbc = jdbc;
			this.transactions = transactions;
			jdbc.execute("create table if not exists orders (id varchar(100) not null)");
		}

		@KafkaListener(id = "commit-failure", topics = "${test.topic}", groupId = "${test.group}")
		void onOrder(ConsumerRecord<String, String> record) {
			this.jdbc.update("insert into orders (id) values (?)", record.value());
			if (record.value().equals(DOOMED) && this.doomedOnce.compareAndSet(false, true)) {
				this.transactions.failNextCommit.set(true);
			}
		}

	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class App {

		@Bean
		FlakyTransactionManager transactionManager(DataSource dataSource) {
			return new FlakyTransactionManager(dataSource);
		}

		@Bean
		ConcurrentKafkaListenerContainerFactory<Object, Object> kafkaListenerContainerFactory(
				ConcurrentKafkaListenerContainerFactoryConfigurer configurer,
				ConsumerFactory<Object, Object> consumerFactory, FlakyTransactionManager transactionManager) {
			ConcurrentKafkaListenerContainerFactory<Object, Object> factory = new ConcurrentKafkaListenerContainerFactory<>();
			configurer.configure(factory, consumerFactory);
			factory.getContainerProperties().setTransactionManager(transactionManager);
			return factory;
		}

		@Bean
		Orders orders(JdbcTemplate jdbc, FlakyTransactionManager transactions) {
			return new Orders(jdbc, transactions);
		}

	}

}
