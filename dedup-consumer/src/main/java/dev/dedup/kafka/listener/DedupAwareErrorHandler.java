package dev.dedup.kafka.listener;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

import org.apache.commons.logging.LogFactory;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.jspecify.annotations.Nullable;
import org.springframework.core.log.LogAccessor;
import org.springframework.kafka.KafkaException;
import org.springframework.kafka.listener.BatchListenerFailedException;
import org.springframework.kafka.listener.CommonErrorHandler;
import org.springframework.kafka.listener.ListenerUtils;
import org.springframework.kafka.listener.MessageListenerContainer;
import org.springframework.kafka.listener.SeekUtils;
import org.springframework.kafka.support.TopicPartitionOffset;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Wraps the container's error handler so that dedup waits never spend its retry budget. A
 * {@link DedupRetryLaterException} (another consumer holds the id, or the store is down) seeks the record
 * and everything after it back, sleeps the suggested time (stoppable), and is polled again: it is never
 * counted as a failed attempt and never recovered (skipped) by the delegate. Everything else goes to the
 * delegate unchanged, so retries, back-off and dead-letter publishing behave as the user configured them.
 *
 * <p>For batch listeners it also handles a {@link DedupBatchStopException}: it re-invokes the listener
 * (spring-kafka's own re-invocation, which calls the dedup batch interceptor again) with the records before
 * the stop, then waits for the stop's record as above, or hands it to the delegate as a
 * {@link BatchListenerFailedException}. And a {@code BatchListenerFailedException} that names its record by
 * index is passed on with the record, since the listener's index counts only the records dedup let through.
 */
public class DedupAwareErrorHandler implements CommonErrorHandler {

	private static final LogAccessor LOGGER = new LogAccessor(LogFactory.getLog(DedupAwareErrorHandler.class));

	private final CommonErrorHandler delegate;

	public DedupAwareErrorHandler(CommonErrorHandler delegate) {
		this.delegate = Objects.requireNonNull(delegate, "delegate");
	}

	/** Wraps {@code handler} unless it is wrapped already. */
	public static CommonErrorHandler wrap(CommonErrorHandler handler) {
		return handler instanceof DedupAwareErrorHandler ? handler : new DedupAwareErrorHandler(handler);
	}

	public CommonErrorHandler delegate() {
		return this.delegate;
	}

	@Override
	public void handleRemaining(Exception thrownException, List<ConsumerRecord<?, ?>> records,
			Consumer<?, ?> consumer, MessageListenerContainer container) {
		DedupRetryLaterException retryLater = findRetryLater(thrownException);
		if (retryLater == null) {
			this.delegate.handleRemaining(thrownException, records, consumer, container);
			return;
		}
		// recoverable=false: the first record is sought back like the rest, never skipped.
		SeekUtils.doSeeks(records, consumer, thrownException, false, (record, ex) -> false, LOGGER);
		pause(retryLater, container);
		// Returning normally would make the container acknowledge (commit past) the record it just sought back,
		// losing it on a crash or rebalance before the redelivery; throwing tells it the record is not done.
		throw new KafkaException("Dedup wait: record sought back for redelivery", KafkaException.Level.DEBUG,
				retryLater);
	}

	@Override
	public boolean handleOne(Exception thrownException, ConsumerRecord<?, ?> record, Consumer<?, ?> consumer,
			MessageListenerContainer container) {
		DedupRetryLaterException retryLater = findRetryLater(thrownException);
		if (retryLater == null) {
			return this.delegate.handleOne(thrownException, record, consumer, container);
		}
		pause(retryLater, container);
		return false; // not handled: the container keeps the record and invokes it again
	}

	@Override
	public void handleOtherException(Exception thrownException, Consumer<?, ?> consumer,
			MessageListenerContainer container, boolean batchListener) {
		this.delegate.handleOtherException(thrownException, consumer, container, batchListener);
	}

	@Override
	public void handleBatch(Exception thrownException, ConsumerRecords<?, ?> data, Consumer<?, ?> consumer,
			MessageListenerContainer container, Runnable invokeListener) {
		rollBackIfInTransaction(thrownException);
		DedupBatchStopException stop = find(thrownException, DedupBatchStopException.class);
		if (stop != null) {
			if (!runBeforeStop(data, consumer, container, invokeListener)) {
				return;
			}
			if (!stop.isWait()) {
				this.delegate.handleBatch(rejection(stop), data, consumer, container, invokeListener);
				return;
			}
			SeekUtils.doSeeks(from(data, stop.index()), consumer, thrownException, false, (record, ex) -> false, LOGGER);
			pause(stop.turn().retryAfter(), stop.getMessage(), container);
			throw new KafkaException("Dedup wait: the batch sought back to its waiting record",
					KafkaException.Level.DEBUG, stop);
		}
		DedupRetryLaterException retryLater = findRetryLater(thrownException);
		if (retryLater != null) {
			SeekUtils.doSeeks(from(data, 0), consumer, thrownException, false, (record, ex) -> false, LOGGER);
			pause(retryLater, container);
			// Returning normally would make the container commit the batch it just sought back.
			throw new KafkaException("Dedup wait: batch sought back for redelivery", KafkaException.Level.DEBUG,
					retryLater);
		}
		this.delegate.handleBatch(withFailedRecord(thrownException), data, consumer, container, invokeListener);
	}

	@Override
	public <K, V> ConsumerRecords<K, V> handleBatchAndReturnRemaining(Exception thrownException,
			ConsumerRecords<?, ?> data, Consumer<?, ?> consumer, MessageListenerContainer container,
			Runnable invokeListener) {
		rollBackIfInTransaction(thrownException);
		DedupBatchStopException stop = find(thrownException, DedupBatchStopException.class);
		if (stop != null) {
			if (!runBeforeStop(data, consumer, container, invokeListener)) {
				return ConsumerRecords.empty();
			}
			if (!stop.isWait()) {
				return this.delegate.handleBatchAndReturnRemaining(rejection(stop), data, consumer, container,
						invokeListener);
			}
			pause(stop.turn().retryAfter(), stop.getMessage(), container);
			return remaining(data, stop.index());
		}
		DedupRetryLaterException retryLater = findRetryLater(thrownException);
		if (retryLater != null) {
			pause(retryLater, container);
			return remaining(data, 0);
		}
		return this.delegate.handleBatchAndReturnRemaining(withFailedRecord(thrownException), data, consumer,
				container, invokeListener);
	}

	/**
	 * spring-kafka hands a transactional container's batch failure to the error handler inside the
	 * transaction, whose retries would then run in it too, on top of the failed attempt's writes (and its
	 * claims). Rethrowing rolls the transaction back first; the after-rollback processor (wrapped by
	 * {@link DedupAwareAfterRollbackProcessor}) then seeks back and redelivers.
	 */
	private static void rollBackIfInTransaction(Exception thrown) {
		if (TransactionSynchronizationManager.isActualTransactionActive()) {
			throw thrown instanceof RuntimeException runtime ? runtime
					: new KafkaException("Batch failed in a transaction", thrown);
		}
	}

	/**
	 * Runs the listener on the records before the batch's stop: the container's re-invocation calls the dedup
	 * batch interceptor again, which hands over just those. A failure there is handled like any batch failure.
	 * @return false if the listener failed (and that failure was handled)
	 */
	private boolean runBeforeStop(ConsumerRecords<?, ?> data, Consumer<?, ?> consumer,
			MessageListenerContainer container, Runnable invokeListener) {
		try {
			invokeListener.run();
			return true;
		}
		catch (RuntimeException ex) {
			handleBatch(ex, data, consumer, container, invokeListener);
			return false;
		}
	}

	/** The stop's record fails on its own: records before it commit, it is retried and recovered as configured. */
	private static BatchListenerFailedException rejection(DedupBatchStopException stop) {
		return new BatchListenerFailedException(String.valueOf(stop.turn().reason()), stop.getCause(), stop.record());
	}

	/**
	 * A {@link BatchListenerFailedException} that names its record by index counts in the records the
	 * listener got, which dedup filtered; the delegate counts in the whole poll. Pass the record instead.
	 */
	private static Exception withFailedRecord(Exception thrown) {
		ConsumerRecord<?, ?> failed = FailedBatchRecord.take();
		BatchListenerFailedException byIndex = find(thrown, BatchListenerFailedException.class);
		if (failed == null || byIndex == null || byIndex.getRecord() != null) {
			return thrown;
		}
		return new BatchListenerFailedException(String.valueOf(byIndex.getMessage()), byIndex.getCause(), failed);
	}

	private static List<ConsumerRecord<?, ?>> from(ConsumerRecords<?, ?> data, int start) {
		List<ConsumerRecord<?, ?>> records = new ArrayList<>();
		int i = 0;
		for (ConsumerRecord<?, ?> record : data) {
			if (i++ >= start) {
				records.add(record);
			}
		}
		return records;
	}

	@SuppressWarnings({ "unchecked", "rawtypes" })
	private static <K, V> ConsumerRecords<K, V> remaining(ConsumerRecords<?, ?> data, int start) {
		return DedupBatchInterceptor.recordsOf((List) from(data, start));
	}

	@Override
	public boolean seeksAfterHandling() {
		return this.delegate.seeksAfterHandling();
	}

	@Override
	public boolean deliveryAttemptHeader() {
		return this.delegate.deliveryAttemptHeader();
	}

	@Override
	public int deliveryAttempt(TopicPartitionOffset topicPartitionOffset) {
		return this.delegate.deliveryAttempt(topicPartitionOffset);
	}

	@Override
	public void clearThreadState() {
		this.delegate.clearThreadState();
	}

	@Override
	public boolean isAckAfterHandle() {
		return this.delegate.isAckAfterHandle();
	}

	@Override
	public void setAckAfterHandle(boolean ack) {
		this.delegate.setAckAfterHandle(ack);
	}

	@Override
	public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> partitions,
			Runnable publishPause) {
		this.delegate.onPartitionsAssigned(consumer, partitions, publishPause);
	}

	static @Nullable DedupRetryLaterException findRetryLater(Throwable thrown) {
		return find(thrown, DedupRetryLaterException.class);
	}

	static <T extends Throwable> @Nullable T find(Throwable thrown, Class<T> type) {
		for (Throwable cause = thrown; cause != null; cause = cause.getCause()) {
			if (type.isInstance(cause)) {
				return type.cast(cause);
			}
		}
		return null;
	}

	static void pause(DedupRetryLaterException retryLater, MessageListenerContainer container) {
		pause(retryLater.retryAfter(), retryLater.getMessage(), container);
	}

	private static void pause(Duration wait, @Nullable String why, MessageListenerContainer container) {
		LOGGER.debug(() -> "Dedup wait of " + wait.toMillis() + "ms: " + why);
		try {
			ListenerUtils.stoppableSleep(container, wait.toMillis());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
