package dev.dedup.kafka.listener;

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
import org.springframework.kafka.listener.CommonErrorHandler;
import org.springframework.kafka.listener.ListenerUtils;
import org.springframework.kafka.listener.MessageListenerContainer;
import org.springframework.kafka.listener.SeekUtils;
import org.springframework.kafka.support.TopicPartitionOffset;

/**
 * Wraps the container's error handler so that dedup waits never spend its retry budget. A
 * {@link DedupRetryLaterException} (another consumer holds the id, or the store is down) seeks the record
 * and everything after it back, sleeps the suggested time (stoppable), and is polled again: it is never
 * counted as a failed attempt and never recovered (skipped) by the delegate. Everything else goes to the
 * delegate unchanged, so retries, back-off and dead-letter publishing behave as the user configured them.
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
		this.delegate.handleBatch(thrownException, data, consumer, container, invokeListener);
	}

	@Override
	public <K, V> ConsumerRecords<K, V> handleBatchAndReturnRemaining(Exception thrownException,
			ConsumerRecords<?, ?> data, Consumer<?, ?> consumer, MessageListenerContainer container,
			Runnable invokeListener) {
		return this.delegate.handleBatchAndReturnRemaining(thrownException, data, consumer, container,
				invokeListener);
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
		for (Throwable cause = thrown; cause != null; cause = cause.getCause()) {
			if (cause instanceof DedupRetryLaterException retryLater) {
				return retryLater;
			}
		}
		return null;
	}

	static void pause(DedupRetryLaterException retryLater, MessageListenerContainer container) {
		LOGGER.debug(() -> "Dedup wait of " + retryLater.retryAfter().toMillis() + "ms: " + retryLater.getMessage());
		try {
			ListenerUtils.stoppableSleep(container, retryLater.retryAfter().toMillis());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
