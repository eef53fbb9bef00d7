package dev.dedup.jdbc;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.dedup.core.store.DedupStoreException;

/**
 * Deletes expired rows on a schedule, in batches, so the table stays bounded under a steady stream: each
 * run deletes batch after batch until one comes back short, at most {@value #MAX_BATCHES_PER_RUN} batches,
 * so one run never holds the database for long. Several instances may purge at once; they only share work.
 */
public final class JdbcDedupPurger implements AutoCloseable {

	static final int MAX_BATCHES_PER_RUN = 100;

	private static final Logger log = LoggerFactory.getLogger(JdbcDedupPurger.class);

	private final JdbcDedupStore store;

	private final Duration interval;

	private final int batchSize;

	private @Nullable ScheduledExecutorService scheduler;

	public JdbcDedupPurger(JdbcDedupStore store, Duration interval, int batchSize) {
		if (interval.isNegative() || interval.isZero()) {
			throw new IllegalArgumentException("The purge interval must be positive, was " + interval);
		}
		if (batchSize < 1) {
			throw new IllegalArgumentException("The purge batch size must be at least 1, was " + batchSize);
		}
		this.store = store;
		this.interval = interval;
		this.batchSize = batchSize;
	}

	/** Runs {@link #purgeNow()} every interval on a daemon thread, the first time after one interval. */
	public synchronized void start() {
		if (this.scheduler != null) {
			return;
		}
		ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
			Thread thread = new Thread(runnable, "dedup-jdbc-purge");
			thread.setDaemon(true);
			return thread;
		});
		long millis = this.interval.toMillis();
		scheduler.scheduleWithFixedDelay(this::purgeQuietly, millis, millis, TimeUnit.MILLISECONDS);
		this.scheduler = scheduler;
	}

	public synchronized boolean isRunning() {
		return this.scheduler != null;
	}

	/**
	 * One bounded run.
	 * @return the number of rows deleted
	 * @throws DedupStoreException if the database cannot be reached
	 */
	public int purgeNow() {
		int total = 0;
		for (int batch = 0; batch < MAX_BATCHES_PER_RUN; batch++) {
			int deleted = this.store.purgeExpired(this.batchSize);
			total += deleted;
			if (deleted < this.batchSize) {
				break;
			}
		}
		return total;
	}

	private void purgeQuietly() {
		try {
			int deleted = purgeNow();
			log.debug("Purged {} expired rows from {}", deleted, this.store.table());
		}
		catch (DedupStoreException ex) {
			log.warn("Could not purge expired dedup rows, will try again in {}: {}", this.interval, ex.getMessage());
		}
		catch (RuntimeException ex) {
			log.error("Unexpected failure purging expired dedup rows", ex);
		}
	}

	@Override
	public synchronized void close() {
		if (this.scheduler != null) {
			this.scheduler.shutdownNow();
			this.scheduler = null;
		}
	}

}
