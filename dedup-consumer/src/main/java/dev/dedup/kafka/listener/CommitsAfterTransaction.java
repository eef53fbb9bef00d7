package dev.dedup.kafka.listener;

import java.time.Duration;
import java.util.Map;

import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetCommitCallback;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.core.ConsumerPostProcessor;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Holds back an offset commit asked for inside a database transaction until that transaction has committed,
 * and drops it if the transaction rolls back.
 * <p>
 * A container with a transaction manager that is not Kafka's commits a batch listener's offsets inside the
 * transaction's callback, after the listener returned but before the transaction commits (as it does a
 * record's with {@code AckMode.RECORD}, and any offset your {@code acknowledge()} commits with
 * {@code MANUAL_IMMEDIATE}). A consumer killed between that offset commit and the database commit lost the
 * batch: its rows and its dedup marks rolled back with the dead connection, and its offsets said it was done
 * ({@code JdbcTransactionalCrashTests} lost 10 ids of 240 this way once). With this post-processor on the
 * consumer factory, the offsets follow the transaction: a consumer killed before they go out has its records
 * redelivered, and dedup finds them CONSUMED if their transaction got to commit.
 * <p>
 * It changes only {@code commitSync} and {@code commitAsync} with explicit offsets (what the container
 * calls), and only while a transaction is active on the calling thread; Kafka transactions send their offsets
 * through the producer and are not touched. A held-back commit that fails after the transaction committed is
 * logged: its records are redelivered and skipped as duplicates.
 */
final class CommitsAfterTransaction<K, V> implements ConsumerPostProcessor<K, V> {

	private static final Logger log = LoggerFactory.getLogger(CommitsAfterTransaction.class);

	/** Adds the post-processor to {@code factory} once; false if the factory takes no post-processors. */
	static boolean installOn(@Nullable ConsumerFactory<?, ?> factory) {
		return ConsumerProxies.installOnce(factory, CommitsAfterTransaction.class, CommitsAfterTransaction::new);
	}

	/** Commits at once, past the hold-back: for offsets that are safe to commit whatever the transaction does. */
	static void commitNow(Consumer<?, ?> consumer, Map<TopicPartition, OffsetAndMetadata> offsets, Duration timeout) {
		unwrap(consumer).commitSync(offsets, timeout);
	}

	@Override
	public Consumer<K, V> apply(Consumer<K, V> consumer) {
		return ConsumerProxies.wrap(consumer, new HoldBack(consumer));
	}

	private static Consumer<?, ?> unwrap(Consumer<?, ?> consumer) {
		HoldBack holdBack = ConsumerProxies.find(consumer, HoldBack.class);
		return holdBack != null ? holdBack.target : consumer;
	}

	private record HoldBack(Consumer<?, ?> target) implements MethodInterceptor {

		@Override
		@SuppressWarnings("unchecked")
		public @Nullable Object invoke(MethodInvocation invocation) throws Throwable {
			String name = invocation.getMethod().getName();
			Object[] args = invocation.getArguments();
			if (!(name.equals("commitSync") || name.equals("commitAsync")) || args.length == 0
					|| !(args[0] instanceof Map) || !TransactionSynchronizationManager.isSynchronizationActive()
					|| !TransactionSynchronizationManager.isActualTransactionActive()) {
				return invocation.proceed();
			}
			Map<TopicPartition, OffsetAndMetadata> offsets = Map.copyOf((Map<TopicPartition, OffsetAndMetadata>) args[0]);
			Duration timeout = args.length > 1 && args[1] instanceof Duration duration ? duration : null;
			OffsetCommitCallback callback = args.length > 1 && args[1] instanceof OffsetCommitCallback given ? given : null;
			boolean sync = name.equals("commitSync");
			TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {

				@Override
				public void afterCompletion(int status) {
					if (status != STATUS_COMMITTED) {
						log.debug("Not committing {}: the transaction they were committed in rolled back", offsets);
						return;
					}
					if (sync) {
						commitSync(offsets, timeout);
					}
					else {
						HoldBack.this.target.commitAsync(offsets, callback);
					}
				}

			});
			return null;
		}

		private void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets, @Nullable Duration timeout) {
			try {
				if (timeout == null) {
					this.target.commitSync(offsets);
				}
				else {
					this.target.commitSync(offsets, timeout);
				}
			}
			catch (KafkaException ex) {
				log.warn("Could not commit {} after their transaction committed; the records are redelivered and "
						+ "skipped as duplicates where dedup marked them: {}", offsets, ex.getMessage());
			}
		}

	}

}
