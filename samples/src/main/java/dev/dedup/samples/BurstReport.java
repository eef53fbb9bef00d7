package dev.dedup.samples;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.stereotype.Component;

import dev.dedup.core.store.DedupStore;
import dev.dedup.kafka.poll.DedupKafkaStats;
import dev.dedup.kafka.poll.DedupKafkaStats.Event;

/**
 * Produces a burst in which some order ids repeat (as a producer retry or an upstream resend would), waits
 * until the listener has seen every unique id and every copy was either handled or skipped, and prints a
 * report.
 */
@Component
class BurstReport implements ApplicationRunner {

	private final KafkaTemplate<String, String> template;

	private final OrderListener listener;

	private final DedupKafkaStats stats;

	private final DedupStore store;

	private final String topic;

	private final int messages;

	private final int everyNthRepeats;

	private final Duration timeout;

	BurstReport(KafkaTemplate<String, String> template, OrderListener listener, DedupKafkaStats stats,
			DedupStore store, @Value("${sample.topic}") String topic, @Value("${sample.messages}") int messages,
			@Value("${sample.every-nth-repeats}") int everyNthRepeats, @Value("${sample.timeout}") Duration timeout) {
		this.template = template;
		this.listener = listener;
		this.stats = stats;
		this.store = store;
		this.topic = topic;
		this.messages = messages;
		this.everyNthRepeats = everyNthRepeats;
		this.timeout = timeout;
	}

	@Override
	public void run(ApplicationArguments args) throws Exception {
		String run = UUID.randomUUID().toString().substring(0, 8);
		Set<String> unique = new HashSet<>();
		String previous = null;
		for (int i = 0; i < this.messages; i++) {
			// Every n-th message repeats the id before it: a resend with a new offset.
			String orderId = (previous != null && i % this.everyNthRepeats == 0) ? previous : "order-" + run + "-" + i;
			unique.add(orderId);
			ProducerRecord<String, String> record = new ProducerRecord<>(this.topic, orderId);
			record.headers().add("dedup-id", orderId.getBytes(StandardCharsets.UTF_8));
			this.template.send(record);
			previous = orderId;
		}
		this.template.flush();
		long deadline = System.nanoTime() + this.timeout.toNanos();
		while (settled() < this.messages && System.nanoTime() < deadline) {
			Thread.sleep(100);
		}
		print(System.out, unique.size());
	}

	private long settled() {
		return this.stats.count(Event.COMPLETED) + this.stats.count(Event.DUPLICATE);
	}

	private void print(PrintStream out, int unique) {
		out.println();
		out.println("dedup sample report (store: " + this.store.getClass().getSimpleName() + ")");
		out.println("  sent                 " + this.messages);
		out.println("  unique ids           " + unique);
		out.println("  handled              " + this.listener.handled());
		out.println("  skipped as duplicate " + this.stats.count(Event.DUPLICATE));
		out.println("  handled twice        " + this.listener.handledTwice());
		out.println(settled() < this.messages ? "  TIMED OUT before every message was settled" : "  all settled");
		out.println();
	}

}
