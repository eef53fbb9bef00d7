package dev.dedup.kafka.listener;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import org.apache.commons.logging.LogFactory;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.springframework.core.log.LogAccessor;
import org.springframework.kafka.listener.AfterRollbackProcessor;
import org.springframework.kafka.listener.ContainerProperties.EOSMode;
import org.springframework.kafka.listener.MessageListenerContainer;
import org.springframework.kafka.listener.SeekUtils;

/**
 * The {@link DedupAwareErrorHandler} of transactional containers: there, a failed record goes to the
 * {@link AfterRollbackProcessor} instead of the error handler. A {@link DedupRetryLaterException} seeks
 * the records back and waits, without spending the delegate's attempts or ever recovering (skipping) the
 * record; everything else goes to the delegate. Either way the positions sought back to are committed again
 * once the container's stale acknowledgments went out ({@link RolledBackOffsets}).
 */
public class DedupAwareAfterRollbackProcessor<K, V> implements AfterRollbackProcessor<K, V> {

	private static final LogAccessor LOGGER = new LogAccessor(
			LogFactory.getLog(DedupAwareAfterRollbackProcessor.class));

	private final AfterRollbackProcessor<K, V> delegate;

	public DedupAwareAfterRollbackProcessor(AfterRollbackProcessor<K, V> delegate) {
		this.delegate = Objects.requireNonNull(delegate, "delegate");
	}

	/** Wraps {@code processor} unless it is wrapped already. */
	public static <K, V> AfterRollbackProcessor<K, V> wrap(AfterRollbackProcessor<K, V> processor) {
		return processor instanceof DedupAwareAfterRollbackProcessor ? processor
				: new DedupAwareAfterRollbackProcessor<>(processor);
	}

	public AfterRollbackProcessor<K, V> delegate() {
		return this.delegate;
	}

	@Override
	public void process(List<ConsumerRecord<K, V>> records, Consumer<K, V> consumer,
			MessageListenerContainer container, Exception exception, boolean recoverable, EOSMode eosMode) {
		RolledBackOffsets.recommit(consumer);
		DedupRetryLaterException retryLater = DedupAwareErrorHandler.findRetryLater(exception);
		if (retryLater == null) {
			this.delegate.process(records, consumer, container, exception, recoverable, eosMode);
			rememberSoughtBack(consumer, records, container);
			return;
		}
		// The transaction rolled back, so nothing was committed; seek everything back, the first record included.
		SeekUtils.doSeeks(List.copyOf(records), consumer, exception, false, (record, ex) -> false, LOGGER);
		rememberSoughtBack(consumer, records, container);
		DedupAwareErrorHandler.pause(retryLater, container);
	}

	@Override
	public void processBatch(ConsumerRecords<K, V> records, List<ConsumerRecord<K, V>> recordList,
			Consumer<K, V> consumer, MessageListenerContainer container, Exception exception, boolean recoverable,
			EOSMode eosMode) {
		RolledBackOffsets.recommit(consumer);
		DedupRetryLaterException retryLater = DedupAwareErrorHandler.findRetryLater(exception);
		List<ConsumerRecord<?, ?>> all = new ArrayList<>(records.count());
		records.forEach(all::add);
		if (retryLater == null) {
			this.delegate.processBatch(records, recordList, consumer, container, exception, recoverable, eosMode);
			rememberSoughtBack(consumer, all, container);
			return;
		}
		SeekUtils.doSeeks(all, consumer, exception, false, (record, ex) -> false, LOGGER);
		rememberSoughtBack(consumer, all, container);
		DedupAwareErrorHandler.pause(retryLater, container);
	}

	/**
	 * With a Kafka transaction manager the offsets were part of the transaction and rolled back with it;
	 * with any other the container acknowledged the records already (see {@link RolledBackOffsets}).
	 */
	private static void rememberSoughtBack(Consumer<?, ?> consumer, List<? extends ConsumerRecord<?, ?>> records,
			MessageListenerContainer container) {
		if (container.getContainerProperties().getKafkaAwareTransactionManager() == null) {
			RolledBackOffsets.remember(consumer, records);
		}
	}

	@Override
	public void clearThreadState() {
		this.delegate.clearThreadState();
	}

	@Override
	public boolean isProcessInTransaction() {
		return this.delegate.isProcessInTransaction();
	}

}
