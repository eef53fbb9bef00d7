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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

import dev.dedup.core.engine.Claim;
import dev.dedup.core.engine.DedupEngine;

/**
 * Marks one consumer thread's claims CONSUMED in the background, many per store call
 * ({@link DedupEngine#completeAll}): the consumer thread hands over a finished record's claim and moves on,
 * and the marks handed over while one store call runs travel together in the next. At most one store call
 * per lane runs at a time, on a thread of a shared executor that is taken only while the lane has work, so
 * a busy store costs one hand-off per store call, not per record, and consumers do not queue behind each
 * other. The consumer thread waits for its marks before the container commits a poll's offsets (see
 * {@link PollDedup#endPoll()}).
 */
final class CompletionLane {

	/** The most claims in one store call; a poll holds 500 records by default. */
	static final int MAX_BATCH = 1000;

	private final DedupEngine engine;

	private final Executor executor;

	private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();

	/** Whether a drain is scheduled or running; only that drain takes from the queue. */
	private final AtomicBoolean draining = new AtomicBoolean();

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
