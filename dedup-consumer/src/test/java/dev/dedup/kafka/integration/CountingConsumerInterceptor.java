package dev.dedup.kafka.integration;

import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.consumer.ConsumerInterceptor;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * An application's own kafka-clients interceptor, listed by name in {@code interceptor.classes}: it must
 * keep seeing every poll once dedup appends its own interceptor to that list.
 */
public class CountingConsumerInterceptor implements ConsumerInterceptor<Object, Object> {

	private static final AtomicLong RECORDS = new AtomicLong();

	static long records() {
		return RECORDS.get();
	}

	@Override
	public ConsumerRecords<Object, Object> onConsume(ConsumerRecords<Object, Object> records) {
		RECORDS.addAndGet(records.count());
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

}
