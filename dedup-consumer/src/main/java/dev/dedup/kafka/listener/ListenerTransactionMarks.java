package dev.dedup.kafka.listener;

import java.util.Objects;
import java.util.function.Predicate;

import org.jspecify.annotations.Nullable;
import org.springframework.transaction.TransactionExecution;
import org.springframework.transaction.TransactionExecutionListener;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import dev.dedup.kafka.poll.ConsumerDedup;
import dev.dedup.kafka.poll.PollDedup;
import dev.dedup.kafka.poll.TransactionMarks;

/**
 * Makes a {@code @Transactional} listener method on the JDBC store's DataSource exactly-once for its
 * database writes: when the transaction of a listener method begins on a consumer thread that runs a record
 * or batch, the marks of that record or batch are written in it, just before it commits.
 *
 * <p>Only a transaction named after a {@code @KafkaListener} method joins (Spring names an annotated
 * transaction after its method): it covers the whole invocation. A transaction that a listener opens for
 * part of its work (a {@code @Transactional} service it calls) does not, since marking the record when that
 * part commits would skip the rest on a redelivery. Boot adds this listener to its own transaction manager;
 * for one of your own, call {@code transactionManager.addListener(...)} with this bean.
 */
public class ListenerTransactionMarks implements TransactionExecutionListener {

	private final ConsumerDedup dedup;

	private final Predicate<String> isListenerMethod;

	/**
	 * @param isListenerMethod whether a transaction name is a {@code @KafkaListener} method's qualified name
	 */
	public ListenerTransactionMarks(ConsumerDedup dedup, Predicate<String> isListenerMethod) {
		this.dedup = Objects.requireNonNull(dedup, "dedup");
		this.isListenerMethod = Objects.requireNonNull(isListenerMethod, "isListenerMethod");
	}

	@Override
	public void afterBegin(TransactionExecution transaction, @Nullable Throwable beginFailure) {
		if (beginFailure != null || !transaction.isNewTransaction()
				|| !this.isListenerMethod.test(transaction.getTransactionName())
				|| !TransactionSynchronizationManager.isSynchronizationActive()
				|| !this.dedup.engine().store().joinsCurrentTransaction()) {
			return;
		}
		PollDedup poll = this.dedup.currentIfAny();
		TransactionMarks marks = poll == null ? null : poll.marksForListenerTransaction();
		if (marks == null) {
			return;
		}
		TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {

			@Override
			public void beforeCommit(boolean readOnly) {
				marks.write();
			}

			@Override
			public void afterCommit() {
				marks.committed();
			}

		});
	}

}
