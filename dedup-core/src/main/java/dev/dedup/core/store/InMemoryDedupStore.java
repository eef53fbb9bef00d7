package dev.dedup.core.store;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import org.jspecify.annotations.Nullable;

/**
 * A store in this JVM's memory, for tests and single-instance demos. It does not survive a restart and is
 * not shared between instances, so it cannot protect a consumer group; the auto-configuration warns when
 * it falls back to it. Each step is one {@link ConcurrentMap#compute} and so atomic per key.
 */
public final class InMemoryDedupStore implements DedupStore {

	private final ConcurrentMap<String, Entry> entries = new ConcurrentHashMap<>();

	private final Clock clock;

	public InMemoryDedupStore() {
		this(Clock.systemUTC());
	}

	/**
	 * @param clock the store's clock, which decides expiry; tests pass a clock they can move
	 */
	public InMemoryDedupStore(Clock clock) {
		this.clock = clock;
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

	/** Number of entries held, expired ones included until they are next touched. */
	public int size() {
		return this.entries.size();
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

}
