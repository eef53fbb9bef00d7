package dev.dedup.core.store;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;

/**
 * A store in front of another that passes every step through {@link #around}, where a subclass counts,
 * times or guards it; the answers about the store itself (transactions, in process, key length) are the
 * inner store's. A step added to {@link DedupStore} is added here once, so no wrapper forgets to forward it.
 */
public abstract class ForwardingDedupStore implements DedupStore {

	private final DedupStore store;

	protected ForwardingDedupStore(DedupStore store) {
		this.store = Objects.requireNonNull(store, "store");
	}

	/** The store this one forwards to. */
	public DedupStore store() {
		return this.store;
	}

	/**
	 * {@code store} itself or the first wrapper of {@code type} behind it, e.g. the engine's
	 * {@link CountingDedupStore}; null if there is none.
	 */
	public static <T extends DedupStore> @Nullable T find(DedupStore store, Class<T> type) {
		for (DedupStore current = store; current != null; current = inner(current)) {
			if (type.isInstance(current)) {
				return type.cast(current);
			}
		}
		return null;
	}

	/** The store behind every wrapper in front of {@code store}. */
	public static DedupStore innermost(DedupStore store) {
		DedupStore current = store;
		for (DedupStore next = inner(current); next != null; next = inner(next)) {
			current = next;
		}
		return current;
	}

	private static @Nullable DedupStore inner(DedupStore store) {
		return (store instanceof ForwardingDedupStore forwarding) ? forwarding.store() : null;
	}

	/**
	 * Runs one step on the inner store.
	 * @param keys how many keys the step carries (one, a batch's size, or none for a ping)
	 */
	protected abstract <T> T around(StoreOperation operation, int keys, Supplier<T> step);

	@Override
	public ClaimResult claim(String key, String owner, Duration lease) {
		return around(StoreOperation.CLAIM, 1, () -> this.store.claim(key, owner, lease));
	}

	@Override
	public boolean complete(String key, String owner, Duration retention, byte @Nullable [] result) {
		return around(StoreOperation.COMPLETE, 1, () -> this.store.complete(key, owner, retention, result));
	}

	@Override
	public boolean release(String key, String owner) {
		return around(StoreOperation.RELEASE, 1, () -> this.store.release(key, owner));
	}

	@Override
	public boolean renew(String key, String owner, Duration lease) {
		return around(StoreOperation.RENEW, 1, () -> this.store.renew(key, owner, lease));
	}

	@Override
	public Optional<StoredEntry> inspect(String key) {
		return around(StoreOperation.INSPECT, 1, () -> this.store.inspect(key));
	}

	@Override
	public List<ClaimResult> claimAll(List<String> keys, String owner, Duration lease) {
		return around(StoreOperation.CLAIM_ALL, keys.size(), () -> this.store.claimAll(keys, owner, lease));
	}

	@Override
	public List<Boolean> completeAll(List<String> keys, String owner, Duration retention) {
		return around(StoreOperation.COMPLETE_ALL, keys.size(), () -> this.store.completeAll(keys, owner, retention));
	}

	@Override
	public List<ClaimResult> claimPoll(List<String> keys, String owner, Duration lease, Duration retention) {
		return around(StoreOperation.CLAIM_POLL, keys.size(), () -> this.store.claimPoll(keys, owner, lease, retention));
	}

	@Override
	public List<Boolean> completePoll(List<String> keys, String owner, Duration retention) {
		return around(StoreOperation.COMPLETE_POLL, keys.size(), () -> this.store.completePoll(keys, owner, retention));
	}

	@Override
	public boolean evict(String key) {
		return around(StoreOperation.EVICT, 1, () -> this.store.evict(key));
	}

	@Override
	public void ping() {
		around(StoreOperation.PING, 0, () -> {
			this.store.ping();
			return null;
		});
	}

	@Override
	public boolean joinsCurrentTransaction() {
		return this.store.joinsCurrentTransaction();
	}

	@Override
	public boolean completesPollsInOneWrite() {
		return this.store.completesPollsInOneWrite();
	}

	@Override
	public boolean isInProcess() {
		return this.store.isInProcess();
	}

	@Override
	public int maxKeyLength() {
		return this.store.maxKeyLength();
	}

}
