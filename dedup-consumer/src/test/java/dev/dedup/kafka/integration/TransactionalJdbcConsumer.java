package dev.dedup.kafka.integration;

import java.util.List;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.kafka.autoconfigure.ConcurrentKafkaListenerContainerFactoryConfigurer;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import dev.dedup.core.store.DedupStore;

/**
 * A consumer app whose listener inserts one business row per message in a JDBC transaction, in one of three
 * styles ({@code test.style}): {@code record} (the default: the container runs each record in a transaction
 * of Boot's DataSourceTransactionManager), {@code batch-container-tx} (a batch listener, each batch in a
 * container transaction) and {@code batch-transactional-method} (a batch listener that is a
 * {@code @Transactional} method, no container transaction), and {@code record-transactional-method} (a
 * record listener that is a {@code @Transactional} method). With {@code dedup.store=jdbc} on the same
 * DataSource the dedup marks are written in that transaction too.
 * Run as a child JVM by {@link JdbcTransactionalCrashTests} (and in-JVM by
 * {@link JdbcTransactionalListenerTests}); the app has no dedup code of its own.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
public class TransactionalJdbcConsumer {

	public static void main(String[] args) {
		SpringApplication.run(TransactionalJdbcConsumer.class, args);
	}

	/** Boot's factory, plus the one line that puts the container in a JDBC transaction. */
	@Bean
	ConcurrentKafkaListenerContainerFactory<Object, Object> kafkaListenerContainerFactory(
			ConcurrentKafkaListenerContainerFactoryConfigurer configurer, ConsumerFactory<Object, Object> consumerFactory,
			PlatformTransactionManager transactionManager, @Value("${test.style:record}") String style) {
		ConcurrentKafkaListenerContainerFactory<Object, Object> factory = new ConcurrentKafkaListenerContainerFactory<>();
		configurer.configure(factory, consumerFactory);
		factory.setBatchListener(style.startsWith("batch"));
		if (!style.endsWith("transactional-method")) {
			factory.getContainerProperties().setTransactionManager(transactionManager);
		}
		return factory;
	}

	@Bean
	@ConditionalOnProperty(name = "test.style", havingValue = "record", matchIfMissing = true)
	OrderTable orderTable(JdbcTemplate jdbc, DedupStore store) {
		return new OrderTable(jdbc, store);
	}

	@Bean
	@ConditionalOnExpression("'${test.style:record}'.startsWith('batch')")
	OrderBatches orderBatches(JdbcTemplate jdbc) {
		return new OrderBatches(jdbc);
	}

	@Bean
	@ConditionalOnProperty(name = "test.style", havingValue = "record-transactional-method")
	OrderRecords orderRecords(JdbcTemplate jdbc) {
		return new OrderRecords(jdbc);
	}

	/**
	 * Dies as abruptly as a SIGKILL ({@code test.halt-before-commit-of}) when the listener's transaction is about
	 * to commit: after the container has done all it does inside the transaction, before the database commit.
	 */
	static void haltBeforeCommitIf(boolean doomed) {
		if (doomed) {
			TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {

				@Override
				public void beforeCommit(boolean readOnly) {
					System.out.println("halting before the commit");
					Runtime.getRuntime().halt(137);
				}

			});
		}
	}

	/** Writes one business row per message; a flaky id fails its first attempt once per JVM. */
	abstract static class OrderWriter {

		private final JdbcTemplate jdbc;

		@Value("${test.orders-table}")
		String table;

		@Value("${test.consumer:main}")
		String consumer;

		@Value("${test.handler-millis:0}")
		long handlerMillis;

		@Value("${test.fail-once-prefix:}")
		String failOncePrefix;

		@Value("${test.halt-before-commit-of:}")
		String haltBeforeCommitOf;

		private final java.util.Set<String> failed = java.util.concurrent.ConcurrentHashMap.newKeySet();

		OrderWriter(JdbcTemplate jdbc) {
			this.jdbc = jdbc;
		}

		/** The ids that failed an attempt (a method, since the bean is a transactional proxy). */
		public java.util.Set<String> failed() {
			return this.failed;
		}

		void insert(ConsumerRecord<String, String> record) throws InterruptedException {
			this.jdbc.update("INSERT INTO " + this.table + " (id, consumer) VALUES (?, ?)", record.value(),
					this.consumer);
			haltBeforeCommitIf(record.value().equals(this.haltBeforeCommitOf));
			if (this.handlerMillis > 0) {
				Thread.sleep(this.handlerMillis);
			}
		}

		void failOnceIfFlaky(ConsumerRecord<String, String> record) {
			if (!this.failOncePrefix.isEmpty() && record.value().startsWith(this.failOncePrefix)
					&& this.failed.add(record.value())) {
				throw new IllegalStateException("injected failure after the insert of " + record.value());
			}
		}

	}

	/** A record listener that is a {@code @Transactional} method. */
	static class OrderRecords extends OrderWriter {

		OrderRecords(JdbcTemplate jdbc) {
			super(jdbc);
		}

		@KafkaListener(topics = "${test.topic}", groupId = "${test.group}")
		@Transactional
		public void onRecord(ConsumerRecord<String, String> record) throws InterruptedException {
			insert(record);
			failOnceIfFlaky(record);
		}

	}

	/** A batch listener, one transaction per batch (its own as a {@code @Transactional} method, or the container's). */
	static class OrderBatches extends OrderWriter {

		OrderBatches(JdbcTemplate jdbc) {
			super(jdbc);
		}

		@KafkaListener(topics = "${test.topic}", groupId = "${test.group}")
		@Transactional
		public void onBatch(List<ConsumerRecord<String, String>> records) throws InterruptedException {
			for (ConsumerRecord<String, String> record : records) {
				insert(record);
			}
			records.forEach(this::failOnceIfFlaky);
		}

	}

	static class OrderTable {

		/** Whether the store joined the listener's transaction, as seen from inside the listener (in-JVM tests). */
		static volatile boolean sawStoreJoinTransaction;

		private final JdbcTemplate jdbc;

		private final DedupStore store;

		@Value("${test.orders-table}")
		String table;

		@Value("${test.consumer:main}")
		String consumer;

		@Value("${test.handler-millis:0}")
		long handlerMillis;

		/**
		 * Post-commit work per message (an afterCommit callback that takes this long): the moment in which a
		 * mark written after the commit would be lost to a kill. In transactional mode there is no such moment.
		 */
		@Value("${test.after-commit-millis:0}")
		long afterCommitMillis;

		/** Payloads starting with this fail after their insert, once per JVM: the insert must roll back. */
		@Value("${test.fail-once-prefix:}")
		String failOncePrefix;

		@Value("${test.halt-before-commit-of:}")
		String haltBeforeCommitOf;

		private final java.util.Set<String> failed = java.util.concurrent.ConcurrentHashMap.newKeySet();

		OrderTable(JdbcTemplate jdbc, DedupStore store) {
			this.jdbc = jdbc;
			this.store = store;
		}

		@KafkaListener(topics = "${test.topic}", groupId = "${test.group}")
		void onMessage(ConsumerRecord<String, String> record) throws InterruptedException {
			sawStoreJoinTransaction |= this.store.joinsCurrentTransaction();
			this.jdbc.update("INSERT INTO " + this.table + " (id, consumer) VALUES (?, ?)", record.value(),
					this.consumer);
			haltBeforeCommitIf(record.value().equals(this.haltBeforeCommitOf));
			if (this.handlerMillis > 0) {
				Thread.sleep(this.handlerMillis);
			}
			if (this.afterCommitMillis > 0) {
				TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {

					@Override
					public void afterCommit() {
						sleep(OrderTable.this.afterCommitMillis);
					}

				});
			}
			if (!this.failOncePrefix.isEmpty() && record.value().startsWith(this.failOncePrefix)
					&& this.failed.add(record.value())) {
				throw new IllegalStateException("injected failure after the insert of " + record.value());
			}
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

}
