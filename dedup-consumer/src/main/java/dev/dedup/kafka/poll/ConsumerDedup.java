package dev.dedup.kafka.poll;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.dedup.core.engine.DedupEngine;
import dev.dedup.core.key.DedupKeys;

/**
 * What every consumer thread of an application shares: the engine, the key rules, the per-listener
 * settings, the counters and the threads that write marks in the background. Thread-safe; each consumer
 * thread works through its own {@link PollDedup} ({@link #forCurrentThread()}).
 */
public final class ConsumerDedup implements AutoCloseable {

	private static final Logger log = LoggerFactory.getLogger(ConsumerDedup.class);

	private final DedupEngine engine;

	private final RecordKeys keys;

	private final ListenerSettingsResolver settings;

	private final DedupKafkaStats stats;

	private final boolean batchPolls;

	/** How long a background store call with only a few marks waits for more. */
	private final Duration markLinger;

	/** On a store that marks a poll in one write, how long a mark may wait for the end of its poll. */
	private final Duration pollMarkWait;

	/** Runs the consumer threads' {@link CompletionLane}s; a thread is held only while a lane has work. */
	private final ExecutorService completers;

	private final ThreadLocal<@Nullable PollDedup> perThread = new ThreadLocal<>();

	/**
	 * @param batchPolls whether record listeners may claim a poll's records in one store call and mark them in
	 * the background (see {@code DedupRecordInterceptor}); ignored for a store that
	 * {@linkplain dev.dedup.core.store.DedupStore#isInProcess() answers in process}, where batching would only
	 * add hand-offs
	 */
	public ConsumerDedup(DedupEngine engine, DedupKeys keys, ListenerSettingsResolver settings, DedupKafkaStats stats,
			boolean batchPolls) {
		this(engine, keys, settings, stats, batchPolls, CompletionLane.DEFAULT_LINGER);
	}

	/**
	 * @param markLinger how long a background store call that would carry only a few marks waits for more
	 * ({@code dedup.kafka.mark-linger}); zero never waits
	 */
	public ConsumerDedup(DedupEngine engine, DedupKeys keys, ListenerSettingsResolver settings, DedupKafkaStats stats,
			boolean batchPolls, Duration markLinger) {
		this(engine, keys, settings, stats, batchPolls, markLinger, CompletionLane.DEFAULT_POLL_MARK_WAIT);
	}

	/**
	 * @param markLinger how long a background store call that would carry only a few marks waits for more
	 * ({@code dedup.kafka.mark-linger}); zero never waits
	 * @param pollMarkWait on a store that marks a poll in one write, how long a record listener's mark may wait
	 * for the end of its poll before it goes on its own ({@code dedup.kafka.poll-mark-wait}); zero never waits
	 */
	public ConsumerDedup(DedupEngine engine, DedupKeys keys, ListenerSettingsResolver settings, DedupKafkaStats stats,
			boolean batchPolls, Duration markLinger, Duration pollMarkWait) {
		this.markLinger = nonNegative(markLinger, "dedup.kafka.mark-linger");
		this.pollMarkWait = nonNegative(pollMarkWait, "dedup.kafka.poll-mark-wait");
		this.engine = Objects.requireNonNull(engine, "engine");
		this.stats = Objects.requireNonNull(stats, "stats");
		this.keys = new RecordKeys(Objects.requireNonNull(keys, "keys"));
		this.settings = Objects.requireNonNull(settings, "settings");
		this.batchPolls = batchPolls && !engine.store().isInProcess();
		AtomicInteger threadNumber = new AtomicInteger();
		this.completers = Executors.newCachedThreadPool(runnable -> {
			Thread thread = new Thread(runnable, "dedup-completer-" + threadNumber.incrementAndGet());
			thread.setDaemon(true);
			return thread;
		});
	}

	private static Duration nonNegative(Duration duration, String property) {
		Objects.requireNonNull(duration, property);
		if (duration.isNegative()) {
			throw new IllegalArgumentException(property + " must be zero or more, was " + duration);
		}
		return duration;
	}

	/** The calling consumer thread's poll-level state. */
	public PollDedup forCurrentThread() {
		PollDedup poll = this.perThread.get();
		if (poll == null) {
			poll = new PollDedup(this,
					new CompletionLane(this.engine, this.completers, this.markLinger, this.pollMarkWait));
			this.perThread.set(poll);
		}
		return poll;
	}

	/** The calling thread's poll-level state if it is a consumer thread that used dedup, else null. */
	public @Nullable PollDedup currentIfAny() {
		return this.perThread.get();
	}

	public DedupEngine engine() {
		return this.engine;
	}

	public DedupKafkaStats stats() {
		return this.stats;
	}

	RecordKeys keys() {
		return this.keys;
	}

	ListenerSettingsResolver settings() {
		return this.settings;
	}

	/** {@code dedup.kafka.mark-linger}: how long a background store call with only a few marks waits for more. */
	public Duration markLinger() {
		return this.markLinger;
	}

	/** {@code dedup.kafka.poll-mark-wait}: how long a mark may wait for the end of its poll, on a store that marks a poll in one write. */
	public Duration pollMarkWait() {
		return this.pollMarkWait;
	}

	/** Whether record listeners claim whole polls (where the poll is visible to them) and mark in the background. */
	public boolean batchesPolls() {
		return this.batchPolls;
	}

	/** Stops the completion threads, after they have marked what they were handed. */
	@Override
	public void close() {
		this.completers.shutdown();
		try {
			if (!this.completers.awaitTermination(30, TimeUnit.SECONDS)) {
				log.warn("Dedup completion threads still busy after 30 s; their records expire with their leases");
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
