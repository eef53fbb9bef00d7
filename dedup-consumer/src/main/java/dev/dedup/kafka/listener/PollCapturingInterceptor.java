package dev.dedup.kafka.listener;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerInterceptor;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.jspecify.annotations.Nullable;
import org.springframework.kafka.core.ConsumerFactory;

/**
 * Hands each poll's records to {@link DedupRecordInterceptor} on the same consumer thread, so that it can
 * claim a whole poll in one store call. spring-kafka shows a record interceptor one record at a time; a
 * kafka-clients {@link ConsumerInterceptor}, called inside {@code poll()}, is the hook that sees the poll.
 * {@link DedupKafkaConfigurer} adds this class to the consumer factory's {@code interceptor.classes}.
 *
 * <p>It keeps records only on threads whose container runs the dedup interceptor, which asks for them
 * just before each poll and forgets them when the poll's records are processed; on any other thread it
 * does nothing. It never changes the records.
 */
public class PollCapturingInterceptor<K, V> implements ConsumerInterceptor<K, V> {

	private static final ThreadLocal<Slot> SLOT = ThreadLocal.withInitial(Slot::new);

	@Override
	public ConsumerRecords<K, V> onConsume(ConsumerRecords<K, V> records) {
		Slot slot = SLOT.get();
		if (slot.expecting) {
			slot.records = records;
		}
		return records;
	}

	@Override
	public void onCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {
	}

	@Override
	public void close() {
	}

	@Override
	public void configure(Map<String, ?> configs) {
	}

	/** Keep the next poll's records on this thread (called before each poll). */
	static void expectPoll() {
		Slot slot = SLOT.get();
		slot.expecting = true;
		slot.records = null;
	}

	/** The records of this thread's latest poll, if this thread asked for them and they came. */
	static @Nullable ConsumerRecords<?, ?> lastPoll() {
		return SLOT.get().records;
	}

	/** Forget this thread's poll (called when its records are processed). */
	static void forget() {
		Slot slot = SLOT.get();
		slot.expecting = false;
		slot.records = null;
	}

	/**
	 * Add this interceptor to a consumer factory's {@code interceptor.classes}, after any already there.
	 * @return false if the factory does not take configuration updates (a factory other than
	 * {@code DefaultKafkaConsumerFactory}); its consumers are then claimed record by record
	 */
	static boolean installOn(@Nullable ConsumerFactory<?, ?> consumerFactory) {
		if (consumerFactory == null) {
			return false;
		}
		Map<String, Object> configs;
		try {
			configs = consumerFactory.getConfigurationProperties();
		}
		catch (UnsupportedOperationException ex) {
			return false;
		}
		List<Object> interceptors = interceptorClasses(configs.get(ConsumerConfig.INTERCEPTOR_CLASSES_CONFIG));
		if (!isListed(interceptors)) {
			interceptors.add(PollCapturingInterceptor.class);
			consumerFactory.updateConfigs(Map.of(ConsumerConfig.INTERCEPTOR_CLASSES_CONFIG, interceptors));
		}
		return isListed(interceptorClasses(
				consumerFactory.getConfigurationProperties().get(ConsumerConfig.INTERCEPTOR_CLASSES_CONFIG)));
	}

	/** kafka-clients takes a list of classes or class names, or one comma-separated string of names. */
	private static List<Object> interceptorClasses(@Nullable Object configured) {
		List<Object> classes = new ArrayList<>();
		if (configured instanceof String names) {
			Arrays.stream(names.split(",")).map(String::trim).filter(name -> !name.isEmpty()).forEach(classes::add);
		}
		else if (configured instanceof List<?> list) {
			classes.addAll(list);
		}
		else if (configured != null) {
			classes.add(configured);
		}
		return classes;
	}

	private static boolean isListed(List<Object> interceptors) {
		return interceptors.stream()
			.anyMatch(entry -> entry == PollCapturingInterceptor.class
					|| PollCapturingInterceptor.class.getName().equals(entry));
	}

	private static final class Slot {

		boolean expecting;

		@Nullable ConsumerRecords<?, ?> records;

	}

}
