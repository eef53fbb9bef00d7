package dev.dedup.kafka.listener;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Objects;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.DirectFieldAccessor;
import org.springframework.kafka.config.AbstractKafkaListenerContainerFactory;
import org.springframework.kafka.config.ContainerCustomizer;
import org.springframework.kafka.listener.AbstractMessageListenerContainer;
import org.springframework.kafka.listener.AfterRollbackProcessor;
import org.springframework.kafka.listener.BatchInterceptor;
import org.springframework.kafka.listener.CompositeBatchInterceptor;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.CommonErrorHandler;
import org.springframework.kafka.listener.DefaultAfterRollbackProcessor;
import org.springframework.kafka.listener.CompositeRecordInterceptor;
import org.springframework.kafka.listener.MessageListenerContainer;
import org.springframework.kafka.listener.RecordInterceptor;

/**
 * Installs dedup on a listener container factory. The auto-configuration applies it to Boot's
 * {@code kafkaListenerContainerFactory}; for a factory of your own, call it once, after setting your own
 * interceptor and error handler:
 *
 * <pre>{@code
 * @Bean
 * ConcurrentKafkaListenerContainerFactory<String, String> ordersFactory(ConsumerFactory<String, String> cf,
 *         DedupKafkaConfigurer dedup) {
 *     var factory = new ConcurrentKafkaListenerContainerFactory<String, String>();
 *     factory.setConsumerFactory(cf);
 *     dedup.configure(factory);
 *     return factory;
 * }
 * }</pre>
 *
 * It installs both adapters: {@link DedupRecordInterceptor} for record listeners and
 * {@link DedupBatchInterceptor} for batch listeners ({@code @KafkaListener(batch = "true")} or a batch
 * factory). It composes rather than displaces: an interceptor already on the factory keeps running after the dedup
 * interceptor (which sees the raw record first, so a duplicate reaches neither the user's interceptor nor
 * the listener); the factory's error handler (or spring-kafka's default) is wrapped in a
 * {@link DedupAwareErrorHandler} and its after-rollback processor in a
 * {@link DedupAwareAfterRollbackProcessor}; a container customizer already set keeps running, and then
 * {@code interceptBeforeTx} is turned off so that, in transactional containers, the claim is made inside
 * the transaction and its waits reach the after-rollback processor. Calling it twice on one factory
 * changes nothing.
 *
 * <p>To claim each poll in one store call it also adds {@link PollCapturingInterceptor} to the
 * {@code interceptor.classes} of the factory's consumer factory, after any interceptor already listed; and so
 * that offsets committed inside a database transaction wait for it to commit, it adds
 * {@link CommitsAfterTransaction} to the consumer factory's post-processors; and so that a poll need not wait
 * for its marks, {@link CommitsAfterMarks}, which holds each commit back until the marks before it are written
 * (unless {@code dedup.kafka.commits-wait-for-marks=false}).
 */
public class DedupKafkaConfigurer implements AutoCloseable {

	private static final Logger log = LoggerFactory.getLogger(DedupKafkaConfigurer.class);

	private final DedupRecordInterceptor<Object, Object> interceptor;

	private final DedupBatchInterceptor<Object, Object> batchInterceptor;

	private final Supplier<CommonErrorHandler> defaultErrorHandler;

	private final boolean commitsWaitForMarks;

	private final Set<Object> configured = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));

	/** The containers made by configured factories (weakly held: containers do not override equals). */
	private final Set<MessageListenerContainer> protectedContainers = Collections
		.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));

	/**
	 * @param interceptor the dedup interceptor, shared by every factory
	 * @param defaultErrorHandler the error handler to wrap when the factory has none set
	 */
	public DedupKafkaConfigurer(DedupRecordInterceptor<Object, Object> interceptor,
			Supplier<CommonErrorHandler> defaultErrorHandler) {
		this(interceptor, defaultErrorHandler, true);
	}

	/**
	 * @param commitsWaitForMarks whether a poll's offset commit, rather than its consumer thread, waits for the
	 * poll's background marks ({@code dedup.kafka.commits-wait-for-marks}, see {@link CommitsAfterMarks})
	 */
	public DedupKafkaConfigurer(DedupRecordInterceptor<Object, Object> interceptor,
			Supplier<CommonErrorHandler> defaultErrorHandler, boolean commitsWaitForMarks) {
		this.interceptor = Objects.requireNonNull(interceptor, "interceptor");
		this.batchInterceptor = new DedupBatchInterceptor<>(interceptor.dedup());
		this.defaultErrorHandler = Objects.requireNonNull(defaultErrorHandler, "defaultErrorHandler");
		this.commitsWaitForMarks = commitsWaitForMarks;
	}

	public DedupRecordInterceptor<Object, Object> interceptor() {
		return this.interceptor;
	}

	@SuppressWarnings({ "unchecked", "rawtypes" })
	public <K, V> void configure(AbstractKafkaListenerContainerFactory<?, K, V> factory) {
		if (!this.configured.add(factory)) {
			return;
		}
		RecordInterceptor<K, V> existing = factory.getRecordInterceptor();
		RecordInterceptor<K, V> ours = (RecordInterceptor) this.interceptor;
		factory.setRecordInterceptor(compose(ours, existing));
		RecordInterceptor<K, V> markingEachRecord = (RecordInterceptor) this.interceptor.markingEachRecord();
		BatchInterceptor<K, V> existingBatch = factory.getBatchInterceptor();
		BatchInterceptor<K, V> oursBatch = (BatchInterceptor) this.batchInterceptor;
		factory.setBatchInterceptor(existingBatch == null ? oursBatch
				: new CompositeBatchInterceptor<>(oursBatch, existingBatch));
		CommonErrorHandler current = currentErrorHandler(factory);
		factory.setCommonErrorHandler(DedupAwareErrorHandler.wrap(current != null ? current
				: this.defaultErrorHandler.get()));
		// Transactional containers route failures to the after-rollback processor instead, and by default call
		// interceptors before the transaction, outside all error handling. Run the interceptor inside instead.
		AfterRollbackProcessor<K, V> rollback = (AfterRollbackProcessor<K, V>) readField(factory, "afterRollbackProcessor");
		factory.setAfterRollbackProcessor(DedupAwareAfterRollbackProcessor.wrap(rollback != null ? rollback
				: new DefaultAfterRollbackProcessor<>()));
		ContainerCustomizer customizer = (ContainerCustomizer) readField(factory, "containerCustomizer");
		((AbstractKafkaListenerContainerFactory) factory).setContainerCustomizer(container -> {
			if (customizer != null) {
				customizer.configure(container);
			}
			AbstractMessageListenerContainer<K, V> configured = (AbstractMessageListenerContainer<K, V>) container;
			this.protectedContainers.add(configured);
			configured.setInterceptBeforeTx(false);
			ContainerProperties properties = configured.getContainerProperties();
			properties.setConsumerRebalanceListener(new DedupRebalanceListener(
					properties.getConsumerRebalanceListener(), this.interceptor.dedup(), configured.getListenerId()));
			if (commitsInsidePoll(configured.getContainerProperties().getAckMode())
					&& configured.getRecordInterceptor() != null) {
				// These modes commit before the end of the poll: a mark must not trail its record's commit.
				configured.setRecordInterceptor(compose(markingEachRecord, existing));
			}
		});
		if (!CommitsAfterTransaction.installOn(factory.getConsumerFactory())) {
			log.warn("Factory {} has no consumer factory that takes post-processors (yet): in a database transaction on "
					+ "the container, a consumer killed between the container's offset commit and the transaction's "
					+ "commit loses the batch (or, with AckMode RECORD, the record). Set a DefaultKafkaConsumerFactory "
					+ "before calling configure", factory);
		}
		if (this.interceptor.batchesPolls() && this.commitsWaitForMarks
				&& !CommitsAfterMarks.installOn(factory.getConsumerFactory(), this.interceptor.dedup())) {
			log.info("Factory {} has no consumer factory that takes post-processors (yet); each poll waits for its "
					+ "marks before its offsets are committed. Set a DefaultKafkaConsumerFactory before calling "
					+ "configure", factory);
		}
		if (this.interceptor.batchesPolls() && !PollCapturingInterceptor.installOn(factory.getConsumerFactory())) {
			log.info("Factory {} has no consumer factory that takes configuration updates (yet); its records are "
					+ "claimed one at a time. For claims per poll, set its consumer factory (a "
					+ "DefaultKafkaConsumerFactory) before calling configure", factory);
		}
	}

	private static <K, V> RecordInterceptor<K, V> compose(RecordInterceptor<K, V> ours,
			@Nullable RecordInterceptor<K, V> existing) {
		return existing == null ? ours : new CompositeRecordInterceptor<>(ours, existing);
	}

	/** Whether the container commits offsets before a poll's records are all processed. */
	static boolean commitsInsidePoll(ContainerProperties.AckMode ackMode) {
		return switch (ackMode) {
			case BATCH, MANUAL -> false;
			case RECORD, COUNT, TIME, COUNT_TIME, MANUAL_IMMEDIATE -> true;
		};
	}

	/** Whether {@code container} was made by a factory this configurer installed dedup on. */
	public boolean protects(MessageListenerContainer container) {
		return this.protectedContainers.contains(container);
	}

	/** Stops the interceptor's completion thread (the application context calls this on shutdown). */
	@Override
	public void close() {
		this.interceptor.close();
	}

	private static @Nullable CommonErrorHandler currentErrorHandler(AbstractKafkaListenerContainerFactory<?, ?, ?> factory) {
		return readField(factory, "commonErrorHandler") instanceof CommonErrorHandler handler ? handler : null;
	}

	/** The factory offers no getters for these settings; read the fields they are kept in. */
	private static @Nullable Object readField(AbstractKafkaListenerContainerFactory<?, ?, ?> factory, String field) {
		return new DirectFieldAccessor(factory).getPropertyValue(field);
	}

}
