package dev.dedup.kafka.listener;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jspecify.annotations.Nullable;

/**
 * The record a batch listener's {@code BatchListenerFailedException} named, kept on the consumer thread from
 * {@link DedupBatchInterceptor#failure} to {@link DedupAwareErrorHandler}. The listener saw only the records
 * that run, so an index it gives counts in that list; spring-kafka's error handler reads it as an index
 * into the whole poll, so the handler passes the record on instead.
 */
final class FailedBatchRecord {

	private static final ThreadLocal<@Nullable ConsumerRecord<?, ?>> FAILED = new ThreadLocal<>();

	private FailedBatchRecord() {
	}

	static void remember(@Nullable ConsumerRecord<?, ?> record) {
		FAILED.set(record);
	}

	static @Nullable ConsumerRecord<?, ?> take() {
		ConsumerRecord<?, ?> record = FAILED.get();
		FAILED.remove();
		return record;
	}

	static void forget() {
		FAILED.remove();
	}

}
