package dev.dedup.kafka.integration;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.kafka.annotation.KafkaListener;

/**
 * A listener for tests that run several application contexts in one JVM: the side effects of all of them
 * land in one map keyed by payload, so a payload handled by two consumers shows a count of 2.
 */
class SharedEffects {

	static final Map<String, AtomicInteger> HANDLED = new ConcurrentHashMap<>();

	@KafkaListener(topics = "${test.topic}", groupId = "${test.group}")
	void onMessage(ConsumerRecord<String, String> record) throws InterruptedException {
		Thread.sleep(15); // keep records in flight while consumers join and leave
		HANDLED.computeIfAbsent(record.value(), p -> new AtomicInteger()).incrementAndGet();
	}

	static int count(String payload) {
		AtomicInteger count = HANDLED.get(payload);
		return count == null ? 0 : count.get();
	}

}
