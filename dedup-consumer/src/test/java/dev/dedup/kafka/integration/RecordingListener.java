package dev.dedup.kafka.integration;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.kafka.annotation.KafkaListener;

/**
 * A listener whose side effect is counting payloads; it can be told to fail a payload a number of times.
 */
class RecordingListener {

	final Map<String, AtomicInteger> handled = new ConcurrentHashMap<>();

	final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();

	final Map<String, AtomicInteger> failuresToInject = new ConcurrentHashMap<>();

	@KafkaListener(topics = "${test.topic}", groupId = "${test.group}")
	void onMessage(ConsumerRecord<String, String> record) {
		String payload = record.value();
		this.attempts.computeIfAbsent(payload, p -> new AtomicInteger()).incrementAndGet();
		AtomicInteger failures = this.failuresToInject.get(payload);
		if (failures != null && failures.getAndDecrement() > 0) {
			throw new IllegalStateException("injected failure for " + payload);
		}
		this.handled.computeIfAbsent(payload, p -> new AtomicInteger()).incrementAndGet();
	}

	int handledCount(String payload) {
		AtomicInteger count = this.handled.get(payload);
		return count == null ? 0 : count.get();
	}

	int attemptCount(String payload) {
		AtomicInteger count = this.attempts.get(payload);
		return count == null ? 0 : count.get();
	}

}
