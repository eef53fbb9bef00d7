package dev.dedup.kafka.poll;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jspecify.annotations.Nullable;

import dev.dedup.core.engine.Claim;
import dev.dedup.core.engine.DedupEngine;
import dev.dedup.core.store.DedupStoreException;

/**
 * Marks one consumer thread's claims CONSUMED in the background, many per store call
 * ({@link DedupEngine#completeAll}): the consumer thread hands over a finished record's claim and moves on,
 * and the marks handed over while one store call runs travel together in the next. At most one store call
 * per lane runs at a time, on a thread of a shared executor that is taken only while the lane has work, so
 * a busy store costs one hand-off per store call, not per record, and consumers do not queue behind each
 * other. A call that would carry only a few marks lingers for more ({@code dedup.kafka.mark-linger}, 1 ms by
 * default), unless the consumer is waiting for them. The end of a poll sends what lingers; the container's
 * commit of a poll's offsets waits for its marks (the consumer's {@code CommitsAfterMarks}, which reads
 * {@link #handedOver()} and {@link #settledThrough}), or, without it, the consumer thread waits for them
 * ({@link PollDedup#endPoll()}). On a store that completes a poll in
 * one write ({@link dev.dedup.core.store.DedupStore#completesPollsInOneWrite()}), the marks wait for the end
 * of the poll instead, and go in one call, which the store turns into one write; but no longer than
 * {@code dedup.kafka.poll-mark-wait} (20 ms by default), nor once no mark has followed for the linger (a
 * record that takes long), so that a crash re-runs no more than the records handled in that time: what
 * waited that long goes key by key.
 *
 * <p>A mark carries no future: the lane counts what each store call answered, keeps the records whose marks
 * failed, and wakes the consumer when the last mark it is waiting for is settled ({@link #awaitAll()}). A
 * future per record, and a list of them to wait on, were a few hundred nanoseconds per record on the hot
 * path for answers the consumer only ever counts.
 */
final class CompletionLane {

	/** The most claims in one store call; a poll holds 500 records by default. */
	static final int MAX_BATCH = 1000;

	/**
	 * A store call that would carry fewer marks than this waits up to the lane's linger for more: a
	 * listener that takes a while per record (a database write) would otherwise send one call per record,
	 * each with its hand-offs and round trip. A fast listener fills a call while the previous one runs.
	 */
	static final int LINGER_BELOW = 16;

	/** {@code dedup.kafka.mark-linger}'s default. */
	static final Duration DEFAULT_LINGER = Duration.ofMillis(1);

	/** {@code dedup.kafka.poll-mark-wait}'s default. */
	static final Duration DEFAULT_POLL_MARK_WAIT = Duration.ofMillis(20);

	/** How long a call with fewer than {@link #LINGER_BELOW} marks waits for more; 0 never waits. */
	private final long lingerNanos;

	/**
	 * Whether marks wait for the end of their poll ({@link #sendNow()}), up to {@link #pollWaitNanos}: on a
	 * store that completes a poll in one write, the marks of a whole poll then go in one call at its end,
	 * which that store turns into one write.
	 */
	private final boolean waitsForPoll;

	private final long pollWaitNanos;

	/** How many times the consumer asked for what is handed over to go at once; consumer thread only writes. */
	private volatile long flushes;

	/** When the newest mark was handed over, where {@link #waitsForPoll}; consumer thread only writes. */
	private volatile long lastHandedOver;

	private final DedupEngine engine;

	private final Executor executor;

	private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();

	/** Whether a drain is scheduled or running; only that drain takes from the queue. */
	private final AtomicBoolean draining = new AtomicBoolean();

	/** Set by {@link #flush()}, cleared by the next {@link #submit}: the consumer waits, so do not linger. */
	private volatile boolean flushing;

	/** The drain's thread while it lingers, for {@link #flush()} to wake. */
	private volatile @Nullable Thread lingering;

	/** Marks handed over; written by the consumer thread only. */
	private long submitted;

	/** Marks whose store call has answered (or failed), counted after their outcome is recorded below. */
	private final AtomicLong settled = new AtomicLong();

	private final AtomicLong completed = new AtomicLong();

	private final AtomicLong lost = new AtomicLong();

	private final ConcurrentLinkedQueue<FailedMark> failed = new ConcurrentLinkedQueue<>();

	/** The consumer thread while it waits in {@link #awaitAll()}, for the drain to wake. */
	private volatile @Nullable Thread awaiting;

	CompletionLane(DedupEngine engine, Executor executor, Duration linger) {
		this(engine, executor, linger, DEFAULT_POLL_MARK_WAIT);
	}

	/**
	 * @param pollWait on a store that completes a poll in one write, how long a mark may wait for the end of
	 * its poll; zero sends marks as on any other store
	 */
	CompletionLane(DedupEngine engine, Executor executor, Duration linger, Duration pollWait) {
		this.engine = engine;
		this.executor = executor;
		this.lingerNanos = linger.toNanos();
		this.pollWaitNanos = pollWait.toNanos();
		this.waitsForPoll = this.pollWaitNanos > 0 && engine.store().completesPollsInOneWrite();
	}

	/**
	 * Hands over the claim of a processed record, to be marked CONSUMED; {@link #awaitAll()} says how it went.
	 * Called by the lane's consumer thread only.
	 */
	void submit(Claim claim, Duration retention, ConsumerRecord<?, ?> record) {
		Pending pending;
		if (this.waitsForPoll) {
			long now = System.nanoTime();
			this.lastHandedOver = now;
			pending = new Pending(claim, retention, record, this.flushes, now + this.pollWaitNanos);
		}
		else {
			pending = new Pending(claim, retention, record, 0, 0);
		}
		this.submitted++;
		this.flushing = false;
		this.queue.add(pending);
		if (this.waitsForPoll) {
			claim.awaitPollMark();
		}
		startDrain();
	}

	/** How many marks the consumer has handed over so far; consumer thread only. */
	long handedOver() {
		return this.submitted;
	}

	/**
	 * Whether the first {@code handedOver} marks are settled (written, lost, or failed and recorded): the
	 * lane settles marks in the order they were handed over.
	 */
	boolean settledThrough(long handedOver) {
		return this.settled.get() >= handedOver;
	}

	/**
	 * Sends what is handed over at once, without waiting for it; consumer thread only. {@link #collect()} and
	 * {@link #awaitAll()} report how it went.
	 */
	void sendNow() {
		if (this.settled.get() != this.submitted) {
			flush();
		}
	}

	private void startDrain() {
		if (this.draining.compareAndSet(false, true)) {
			try {
				this.executor.execute(this::drain);
			}
			catch (RejectedExecutionException ex) {
				drain(); // shutting down: mark it on the caller's thread
			}
		}
	}

	/**
	 * Waits until every mark handed over so far is settled, sending a lingering call at once; called by the
	 * consumer thread only. The engine's store calls have deadlines and a retry budget, so this ends.
	 * @return how the marks settled since the last call went
	 */
	Outcomes awaitAll() {
		if (this.settled.get() != this.submitted) {
			sendNow();
			this.awaiting = Thread.currentThread();
			boolean interrupted = false;
			try {
				// Checked after publishing the thread, so a drain that settles the last mark either is seen
				// here or unparks the wait.
				while (this.settled.get() != this.submitted) {
					LockSupport.park(this);
					interrupted |= Thread.interrupted(); // kept for the caller, as join() would
				}
			}
			finally {
				this.awaiting = null;
				if (interrupted) {
					Thread.currentThread().interrupt();
				}
			}
		}
		return collect();
	}

	/** How the marks settled since the last call went, without waiting for the rest; consumer thread only. */
	Outcomes collect() {
		List<FailedMark> failures = new ArrayList<>();
		FailedMark failure;
		while ((failure = this.failed.poll()) != null) {
			failures.add(failure);
		}
		return new Outcomes(this.completed.getAndSet(0), this.lost.getAndSet(0), failures);
	}

	private void drain() {
		List<Pending> batch = new ArrayList<>();
		while (true) {
			if (this.waitsForPoll) {
				takeWhosePollEnded(batch);
			}
			else {
				takeLingering(batch);
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
	 * The poll has ended (its marks are awaited, or its commit waits for them): a lingering drain sends what
	 * it has at once.
	 */
	private void flush() {
		this.flushing = true;
		this.flushes++; // the consumer thread is the only writer
		Thread drain = this.lingering;
		if (drain != null) {
			LockSupport.unpark(drain);
		}
	}

	/** Takes what is queued, and if that is only a few marks, what comes within the linger. */
	private void takeLingering(List<Pending> batch) {
		Pending next;
		while (batch.size() < MAX_BATCH && (next = this.queue.poll()) != null) {
			batch.add(next);
		}
		if (!batch.isEmpty() && batch.size() < LINGER_BELOW && linger()) {
			while (batch.size() < MAX_BATCH && (next = this.queue.poll()) != null) {
				batch.add(next);
			}
		}
	}

	/**
	 * Waits until the oldest mark's poll has ended ({@link #flush()}), it has waited {@link #pollWaitNanos}, or
	 * no mark has been handed over for the linger, then takes the marks of that poll handed over so far: a
	 * poll's marks then go in one call, and those of a poll that runs longer go a wait's worth at a time, key by
	 * key. Marks of the next poll stay for that one. With no linger, marks never wait.
	 */
	private void takeWhosePollEnded(List<Pending> batch) {
		Pending head = this.queue.peek();
		if (head == null) {
			return;
		}
		this.lingering = Thread.currentThread();
		try {
			// Checked after publishing the thread, so a flush either is seen here or unparks the wait.
			while (!head.mayGo(this.flushes)) {
				// A listener that stopped handing marks over (a record that takes long, a handler stuck) waits
				// no longer than the linger: its earlier records are marked meanwhile.
				long now = System.nanoTime();
				long quietUntil = this.lastHandedOver + this.lingerNanos;
				long left = Math.min(head.waitsUntil(), quietUntil) - now;
				if (left <= 0) {
					break;
				}
				LockSupport.parkNanos(this, left);
			}
		}
		finally {
			this.lingering = null;
		}
		// With the oldest go the marks of its poll (however short they waited) and any whose poll has ended.
		long flushes = this.flushes;
		Pending next;
		while (batch.size() < MAX_BATCH && (next = this.queue.peek()) != null
				&& (next.poll() == head.poll() || next.mayGo(flushes))) {
			batch.add(this.queue.poll());
		}
	}

	/** Waits up to the linger for more marks, unless the consumer waits for these; true if it did. */
	private boolean linger() {
		if (this.lingerNanos == 0) {
			return false;
		}
		this.lingering = Thread.currentThread();
		try {
			// Checked after publishing the thread, so a flush either is seen here or unparks the wait.
			if (this.flushing) {
				return false;
			}
			LockSupport.parkNanos(this, this.lingerNanos);
			return true;
		}
		finally {
			this.lingering = null;
		}
	}

	/** One store call per retention (and per owner, inside the engine); usually all share both. */
	private void completeAll(List<Pending> batch) {
		Duration first = batch.get(0).retention();
		if (batch.stream().allMatch(pending -> pending.retention().equals(first))) {
			completeGroup(batch, first);
			return;
		}
		Map<Duration, List<Pending>> byRetention = new LinkedHashMap<>();
		batch.forEach(pending -> byRetention.computeIfAbsent(pending.retention(), r -> new ArrayList<>()).add(pending));
		byRetention.forEach((retention, group) -> completeGroup(group, retention));
	}

	private void completeGroup(List<Pending> group, Duration retention) {
		try {
			List<Boolean> results = this.engine.completeAll(group.stream().map(Pending::claim).toList(), retention);
			int marked = 0;
			for (Boolean result : results) {
				marked += result ? 1 : 0;
			}
			this.completed.addAndGet(marked);
			this.lost.addAndGet(results.size() - marked);
		}
		catch (RuntimeException ex) {
			DedupStoreException failure = (ex instanceof DedupStoreException storeFailure) ? storeFailure
					: new DedupStoreException(String.valueOf(ex.getMessage()), ex);
			group.forEach(pending -> this.failed.add(new FailedMark(pending.record(), failure)));
		}
		finally {
			// Settled even past an Error, so the waiting consumer never waits for a call that is over.
			this.settled.addAndGet(group.size());
			Thread consumer = this.awaiting;
			if (consumer != null) {
				LockSupport.unpark(consumer);
			}
		}
	}

	/** How the marks settled since the consumer last asked went: counts, and the records whose marks failed. */
	record Outcomes(long completed, long lost, List<FailedMark> failed) {
	}

	/** A processed record whose mark the store could not take, even after the engine's retries. */
	record FailedMark(ConsumerRecord<?, ?> record, DedupStoreException cause) {
	}

	/**
	 * @param poll the lane's {@link #flushes} when it was handed over: its poll has ended once they are more
	 * @param waitsUntil where {@link #waitsForPoll}, the {@code nanoTime} until which it may wait for that
	 */
	private record Pending(Claim claim, Duration retention, ConsumerRecord<?, ?> record, long poll, long waitsUntil) {

		boolean mayGo(long flushes) {
			return flushes > this.poll || System.nanoTime() - this.waitsUntil >= 0;
		}

	}

}
