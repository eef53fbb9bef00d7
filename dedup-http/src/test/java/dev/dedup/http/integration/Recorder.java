package dev.dedup.http.integration;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts handler runs per test run id (header {@code X-Run}), and holds gated handlers until the test
 * opens the gate, so "many at once" really overlaps.
 */
public class Recorder {

	private final Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();

	private volatile CountDownLatch gate = new CountDownLatch(0);

	public void ran(String run) {
		this.runs.computeIfAbsent(run, r -> new AtomicInteger()).incrementAndGet();
	}

	public int runs(String run) {
		AtomicInteger count = this.runs.get(run);
		return (count != null) ? count.get() : 0;
	}

	public void closeGate() {
		this.gate = new CountDownLatch(1);
	}

	public void openGate() {
		this.gate.countDown();
	}

	void awaitGate() {
		try {
			this.gate.await(Duration.ofSeconds(60).toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	static void sleep(long millis) {
		try {
			Thread.sleep(millis);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
