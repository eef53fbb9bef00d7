package dev.dedup.core.store;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentMap;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import org.jspecify.annotations.Nullable;

/**
 * A store in this JVM's memory, for tests and single-instance demos. It does not survive a restart and is
 * not shared between instances, so it cannot protect a consumer group; the auto-configuration warns when
 * it falls back to it. Each step is one {@link ConcurrentMap#compute} and so atomic per key.
 * <p>
 * Memory is bounded: entries are held in a Caffeine cache that drops each one when its lease or retention
 * ends (touched or not), and at most {@code maxEntries} CONSUMED entries. Past that bound Caffeine's size
 * policy (W-TinyLFU) drops some CONSUMED entries early, so a copy of a message whose entry went runs again:
 * size it above the messages one retention brings. A live claim is never dropped for room (a second copy
 * would run beside the first); there are as many as there is work in flight, and each ends with its lease.
 */
public final class InMemoryDedupStore implements DedupStore {

	/** {@code dedup.memory.max-entries}'s default: about 20 MB of short keys. */
	public static final long DEFAULT_MAX_ENTRIES = 100_000;

	private final ConcurrentMap<String, Entry> entries;

	private final Cache<String, Entry> cache;

	private final Clock clock;

	private final long maxEntries;

	public InMemoryDedupStore() {
		this(Clock.systemUTC());
	}

	/**
	 * @param clock the store's clock, which decides expiry; tests pass a clock they can move
	 */
	public InMemoryDedupStore(Clock clock) {
		this(clock, DEFAULT_MAX_ENTRIES);
	}

	/**
	 * @param clock the store's clock, which decides expiry; tests pass a clock they can move
	 * @param maxEntries the most CONSUMED entries held; past it Caffeine's size policy drops some early
	 */
	public InMemoryDedupStore(Clock clock, long maxEntries) {
		if (maxEntries < 1) {
			throw new IllegalArgumentException("The in-memory store needs room for at least 1 entry, was " + maxEntries);
		}
		this.clock = clock;
		this.maxEntries = maxEntries;
		this.cache = Caffeine.newBuilder()
			// A live claim weighs nothing, so the size policy never drops one: that would let a second copy of a
			// message run beside the first. Live claims are as many as the work in flight, and end with their lease.
			.maximumWeight(maxEntries)
			.weigher((String key, Entry entry) -> entry.consumed ? 1 : 0)
			.expireAfter(new UntilExpiry())
			.ticker(() -> epochNanos(clock.instant()))
			.executor(Runnable::run) // cleanup on the caller's thread: no pool, and tests see it at once
			.build();
		this.entries = this.cache.asMap();
	}

	@Override
	public ClaimResult claim(String key, String owner, Duration lease) {
		Instant now = this.clock.instant();
		ClaimResult[] answer = new ClaimResult[1];
		this.entries.compute(key, (k, current) -> {
			if (current == null || current.expiredAt(now)) {
				answer[0] = ClaimResult.acquired();
				return Entry.consuming(owner, now.plus(lease));
			}
			answer[0] = current.consumed ? ClaimResult.duplicate(current.result == null ? null : current.result.clone())
					: ClaimResult.inProgress(Duration.between(now, current.expiresAt));
			return current;
		});
		return answer[0];
	}

	@Override
	public boolean complete(String key, String owner, Duration retention, byte @Nullable [] result) {
		Instant now = this.clock.instant();
		return changeIfOwned(key, owner, now, current -> Entry.consumed(now.plus(retention), result));
	}

	@Override
	public boolean release(String key, String owner) {
		return changeIfOwned(key, owner, this.clock.instant(), current -> null);
	}

	@Override
	public boolean renew(String key, String owner, Duration lease) {
		Instant now = this.clock.instant();
		return changeIfOwned(key, owner, now, current -> Entry.consuming(owner, now.plus(lease)));
	}

	@Override
	public Optional<StoredEntry> inspect(String key) {
		Instant now = this.clock.instant();
		Entry current = this.entries.get(key); // entries are immutable, so one read is one moment
		if (current == null || current.expiredAt(now)) {
			return Optional.empty();
		}
		Duration remaining = Duration.between(now, current.expiresAt);
		return Optional.of(current.consumed
				? StoredEntry.consumed(remaining, current.result == null ? null : current.result.clone())
				: StoredEntry.consuming(current.owner, remaining));
	}

	@Override
	public boolean isInProcess() {
		return true;
	}

	@Override
	public boolean evict(String key) {
		return this.entries.remove(key) != null;
	}

	/** Number of entries held, after dropping the expired ones. */
	public long size() {
		this.cache.cleanUp();
		return this.cache.estimatedSize();
	}

	@Override
	public String toString() {
		return "InMemoryDedupStore[at most " + this.maxEntries + " CONSUMED entries]";
	}

	private boolean changeIfOwned(String key, String owner, Instant now,
			java.util.function.UnaryOperator<@Nullable Entry> change) {
		boolean[] changed = new boolean[1];
		this.entries.computeIfPresent(key, (k, current) -> {
			if (current.expiredAt(now)) {
				return null;
			}
			if (current.consumed || !current.owner.equals(owner)) {
				return current;
			}
			changed[0] = true;
			return change.apply(current);
		});
		return changed[0];
	}

	private record Entry(boolean consumed, String owner, Instant expiresAt, byte @Nullable [] result) {

		static Entry consuming(String owner, Instant expiresAt) {
			return new Entry(false, owner, expiresAt, null);
		}

		static Entry consumed(Instant expiresAt, byte @Nullable [] result) {
			return new Entry(true, "", expiresAt, result == null ? null : result.clone());
		}

		boolean expiredAt(Instant now) {
			return !now.isBefore(this.expiresAt);
		}

	}

	/** Nanoseconds since the epoch, saturating: an entry kept for centuries simply never expires here. */
	private static long epochNanos(Instant instant) {
		try {
			return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000_000L), instant.getNano());
		}
		catch (ArithmeticException ex) {
			return instant.getEpochSecond() < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
		}
	}

	/** Each entry lives until its own expiry (a lease or a retention), on the store's clock. */
	private static final class UntilExpiry implements Expiry<String, Entry> {

		@Override
		public long expireAfterCreate(String key, Entry entry, long currentTime) {
			return Math.max(0, epochNanos(entry.expiresAt) - currentTime);
		}

		@Override
		public long expireAfterUpdate(String key, Entry entry, long currentTime, long currentDuration) {
			return expireAfterCreate(key, entry, currentTime);
		}

		@Override
		public long expireAfterRead(String key, Entry entry, long currentTime, long currentDuration) {
			return currentDuration;
		}

	}

}
