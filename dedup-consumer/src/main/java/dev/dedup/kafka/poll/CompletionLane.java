package dev.dedup.kafka.poll;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

import org.jspecify.annotations.Nullable;

import dev.dedup.core.engine.Claim;
import dev.dedup.core.engine.DedupEngine;

/**
 * Marks one consumer thread's claims CONSUMED in the background, many per store call
 * ({@link DedupEngine#completeAll}): the consumer thread hands over a finished record's claim and moves on,
 * and the marks handed over while one store call runs travel together in the next. At most one store call
 * per lane runs at a time, on a thread of a shared executor that is taken only while the lane has work, so
 * a busy store costs one hand-off per store call, not per record, and consumers do not queue behind each
 * other. A call that would carry only a few marks lingers up to a millisecond for more, unless the consumer
 * is waiting for them. The consumer thread waits for its marks before the container commits a poll's offsets
 * (see {@link PollDedup#endPoll()}).
 */
final class CompletionLane {

	/** The most claims in one store call; a poll holds 500 records by default. */
	static final int MAX_BATCH = 1000;

	/**
	 * A store call that would carry fewer marks than this waits up to {@link #LINGER_NANOS} for more: a
	 * listener that takes a while per record (a database write) would otherwise send one call per record,
	 * each with its hand-off and round trip. A fast listener fills a call while the previous one runs.
	 */
	static final int LINGER_BELOW = 16;

	static final long LINGER_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

	private final DedupEngine engine;

	private final Executor executor;

	private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();

	/** Whether a drain is scheduled or running; only that drain takes from the queue. */
	private final AtomicBoolean draining = new AtomicBoolean();

	/** Set by {@link #flush()}, cleared by the next {@link #submit}: the consumer waits, so do not linger. */
	private volatile boolean flushing;

	/** The drain's thread while it lingers, for {@link #flush()} to wake. */
	private volatile @Nullable Thread lingering;

	CompletionLane(DedupEngine engine, Executor executor) {
		this.engine = engine;
		this.executor = executor;
	}

	/**
	 * @return true once the key is CONSUMED, false if the lease was lost; completes exceptionally with the
	 * store's exception if the store stayed unreachable through the engine's retries
	 */
	CompletableFuture<Boolean> submit(Claim claim, Duration retention) {
		Pending pending = new Pending(claim, retention, new CompletableFuture<>());
		this.flushing = false;
		this.queue.add(pending);
		if (this.draining.compareAndSet(false, true)) {
			try {
				this.executor.execute(this::drain);
			}
			catch (RejectedExecutionException ex) {
				drain(); // shutting down: mark it on the caller's thread
			}
		}
		return pending.done();
	}

	private void drain() {
		List<Pending> batch = new ArrayList<>();
		while (true) {
			Pending next;
			while (batch.size() < MAX_BATCH && (next = this.queue.poll()) != null) {
				batch.add(next);
			}
			if (!batch.isEmpty() && batch.size() < LINGER_BELOW && linger()) {
				while (batch.size() < MAX_BATCH && (next = this.queue.poll()) != null) {
					batch.add(next);
				}
			}
			if (batch.isEmpty()) {
				this.draining.set(false);
				// A submit between the last poll and the line above saw draining still set and left its work
				// to this drain: take it back up unless another drain has started since.
				if (this.queue.isEmpty() || !this.draining.compareAndSet(false, true)) {
					return;
				}
				continue;
			}
			completeAll(batch);
			batch.clear();
		}
	}

	/**
	 * The consumer is about to wait for its marks (the end of a poll, before its offsets are committed): a
	 * lingering drain sends what it has at once.
	 */
	void flush() {
		this.flushing = true;
		Thread drain = this.lingering;
		if (drain != null) {
			LockSupport.unpark(drain);
		}
	}

	/** Waits up to {@link #LINGER_NANOS} for more marks, unless the consumer waits for these; true if it did. */
	private boolean linger() {
		this.lingering = Thread.currentThread();
		try {
			// Checked after publishing the thread, so a flush either is seen here or unparks the wait.
			if (this.flushing) {
				return false;
			}
			LockSupport.parkNanos(this, LINGER_NANOS);
			return true;
		}
		finally {
			this.lingering = null;
		}
	}

	/** One store call per retention (and per owner, inside the engine); usually all share both. */
	private void completeAll(List<Pending> batch) {
		Map<Duration, List<Pending>> byRetention = batch.stream()
			.collect(Collectors.groupingBy(Pending::retention, LinkedHashMap::new, Collectors.toList()));
		byRetention.forEach((retention, group) -> {
			try {
				List<Boolean> results = this.engine.completeAll(group.stream().map(Pending::claim).toList(), retention);
				for (int i = 0; i < group.size(); i++) {
					group.get(i).done().complete(results.get(i));
				}
			}
			catch (RuntimeException ex) {
				group.forEach(pending -> pending.done().completeExceptionally(ex));
			}
		});
	}

	private record Pending(Claim claim, Duration retention, CompletableFuture<Boolean> done) {
	}

}
