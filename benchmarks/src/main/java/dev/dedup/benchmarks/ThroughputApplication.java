package dev.dedup.benchmarks;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Import;
import org.springframework.kafka.annotation.KafkaListener;

/**
 * The application under test: Boot's auto-configuration, Boot's default container factory and one record
 * listener that only counts. No component scan, so nothing else in this package becomes a bean.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
@Import(ThroughputApplication.CountingListener.class)
class ThroughputApplication {

	/** Counts records and opens a latch at the expected count; the time of the first record is kept too. */
	static class CountingListener {

		private final long expected;

		private final AtomicLong handled = new AtomicLong();

		private final CountDownLatch allHandled = new CountDownLatch(1);

		private volatile long firstRecordNanos;

		private volatile long lastRecordNanos;

		CountingListener(@Value("${bench.records}") long expected) {
			this.expected = expected;
		}

		@KafkaListener(topics = "${bench.topic}", groupId = "${bench.group}")
		void onRecord(String payload) {
			long count = this.handled.incrementAndGet();
			if (count == 1) {
				this.firstRecordNanos = System.nanoTime();
			}
			if (count == this.expected) {
				this.lastRecordNanos = System.nanoTime();
				this.allHandled.countDown();
			}
		}

		boolean awaitAll(long timeout, TimeUnit unit) throws InterruptedException {
			return this.allHandled.await(timeout, unit);
		}

		long handled() {
			return this.handled.get();
		}

		long firstRecordNanos() {
			return this.firstRecordNanos;
		}

		long lastRecordNanos() {
			return this.lastRecordNanos;
		}

	}

}
