package dev.dedup.samples;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

/**
 * The application's own listener: no dedup code at all. The dedup interceptor installed by
 * auto-configuration keeps a repeated {@code dedup-id} from reaching it.
 */
@Component
class OrderListener {

	private static final Logger log = LoggerFactory.getLogger(OrderListener.class);

	private final AtomicInteger handled = new AtomicInteger();

	private final Set<String> seen = ConcurrentHashMap.newKeySet();

	private final AtomicInteger handledTwice = new AtomicInteger();

	@KafkaListener(topics = "${sample.topic}", groupId = "${sample.group}")
	void charge(String order) {
		if (!this.seen.add(order)) {
			this.handledTwice.incrementAndGet();
			log.error("Charged {} twice!", order);
		}
		this.handled.incrementAndGet();
	}

	int handled() {
		return this.handled.get();
	}

	int handledTwice() {
		return this.handledTwice.get();
	}

}
