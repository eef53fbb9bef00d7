package dev.dedup.benchmarks;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.kafka.annotation.KafkaListener;

/**
 * The application under test: Boot's auto-configuration, Boot's default container factory and one listener
 * that counts — a record listener, or a batch listener with {@code bench.listener=batch} — and with
 * {@code bench.work=db-row} also inserts one row per record into the DataSource's database. No component
 * scan, so nothing else in this package becomes a bean.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
@Import(ThroughputApplication.CountingListener.class)
class ThroughputApplication {

	@Bean
	@ConditionalOnProperty(name = "bench.listener", havingValue = "record", matchIfMissing = true)
	RecordListener recordListener(CountingListener counting) {
		return new RecordListener(counting);
	}

	@Bean
	@ConditionalOnProperty(name = "bench.listener", havingValue = "batch")
	BatchListener batchListener(CountingListener counting) {
		return new BatchListener(counting);
	}

	static class RecordListener {

		private final CountingListener counting;

		RecordListener(CountingListener counting) {
			this.counting = counting;
		}

		@KafkaListener(topics = "${bench.topic}", groupId = "${bench.group}")
		void onRecord(String payload) {
			this.counting.onRecord(payload);
		}

	}

	static class BatchListener {

		private final CountingListener counting;

		BatchListener(CountingListener counting) {
			this.counting = counting;
		}

		@KafkaListener(topics = "${bench.topic}", groupId = "${bench.group}", batch = "true")
		void onBatch(List<String> payloads) {
			payloads.forEach(this.counting::onRecord);
		}

	}

	/** Counts records and opens a latch at the expected count; the time of the first record is kept too. */
	static class CountingListener {

		private final long expected;

		private final @Nullable JdbcTemplate businessWrites;

		private final AtomicLong handled = new AtomicLong();

		private final CountDownLatch allHandled = new CountDownLatch(1);

		private volatile long firstRecordNanos;

		private volatile long lastRecordNanos;

		CountingListener(@Value("${bench.records}") long expected, @Value("${bench.work:none}") String work,
				JdbcTemplate jdbc) {
			this.expected = expected;
			this.businessWrites = work.equals("db-row") ? jdbc : null;
			if (this.businessWrites != null) {
				this.businessWrites.execute("CREATE TABLE IF NOT EXISTS bench_business_row "
						+ "(id BIGINT AUTO_INCREMENT PRIMARY KEY, payload VARCHAR(64) NOT NULL)");
			}
		}

		void onRecord(String payload) {
			if (this.businessWrites != null) {
				this.businessWrites.update("INSERT INTO bench_business_row (payload) VALUES (?)", payload);
			}
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
