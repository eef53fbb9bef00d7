package dev.dedup.core.store;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;

/**
 * A store that counts its calls: per operation, how many calls (each one store round trip), how many keys
 * they carried and how long they took, failed calls included, and how many failed as store unavailable.
 * Micrometer's {@code dedup.store.calls} and {@code dedup.store.errors} read these counts. The engine's auto-configuration puts it right
 * in front of the store, so the figures are the store's own. Counting costs two {@link LongAdder} updates
 * and a clock read per call.
 */
public final class CountingDedupStore implements DedupStore {

	/** The store's steps. */
	public enum Operation {

		CLAIM, CLAIM_ALL, COMPLETE, COMPLETE_ALL, RELEASE, RENEW, INSPECT, EVICT, PING

	}

	private final DedupStore store;

	private final Map<Operation, Counts> counts = new EnumMap<>(Operation.class);

	public CountingDedupStore(DedupStore store) {
		this.store = Objects.requireNonNull(store, "store");
		for (Operation operation : Operation.values()) {
			this.counts.put(operation, new Counts());
		}
	}

	/** The store that is counted. */
	public DedupStore store() {
		return this.store;
	}

	/** Calls (store round trips) made for {@code operation} so far. */
	public long calls(Operation operation) {
		return this.counts.get(operation).calls.sum();
	}

	/** Keys carried by the calls for {@code operation} so far (one per call, or a batch's size). */
	public long keys(Operation operation) {
		return this.counts.get(operation).keys.sum();
	}

	/** Time spent in the calls for {@code operation} so far. */
	public Duration time(Operation operation) {
		return Duration.ofNanos(this.counts.get(operation).nanos.sum());
	}

	/** Calls for {@code operation} that failed with a {@link DedupStoreException} so far. */
	public long errors(Operation operation) {
		return this.counts.get(operation).errors.sum();
	}

	/** Calls for every operation so far. */
	public long calls() {
		return this.counts.values().stream().mapToLong(count -> count.calls.sum()).sum();
	}

	@Override
	public ClaimResult claim(String key, String owner, Duration lease) {
		return count(Operation.CLAIM, 1, () -> this.store.claim(key, owner, lease));
	}

	@Override
	public boolean complete(String key, String owner, Duration retention, byte @Nullable [] result) {
		return count(Operation.COMPLETE, 1, () -> this.store.complete(key, owner, retention, result));
	}

	@Override
	public boolean release(String key, String owner) {
		return count(Operation.RELEASE, 1, () -> this.store.release(key, owner));
	}

	@Override
	public boolean renew(String key, String owner, Duration lease) {
		return count(Operation.RENEW, 1, () -> this.store.renew(key, owner, lease));
	}

	@Override
	public Optional<StoredEntry> inspect(String key) {
		return count(Operation.INSPECT, 1, () -> this.store.inspect(key));
	}

	@Override
	public List<ClaimResult> claimAll(List<String> keys, String owner, Duration lease) {
		return count(Operation.CLAIM_ALL, keys.size(), () -> this.store.claimAll(keys, owner, lease));
	}

	@Override
	public List<Boolean> completeAll(List<String> keys, String owner, Duration retention) {
		return count(Operation.COMPLETE_ALL, keys.size(), () -> this.store.completeAll(keys, owner, retention));
	}

	@Override
	public boolean evict(String key) {
		return count(Operation.EVICT, 1, () -> this.store.evict(key));
	}

	@Override
	public void ping() {
		count(Operation.PING, 0, () -> {
			this.store.ping();
			return null;
		});
	}

	@Override
	public boolean joinsCurrentTransaction() {
		return this.store.joinsCurrentTransaction();
	}

	@Override
	public boolean isInProcess() {
		return this.store.isInProcess();
	}

	@Override
	public int maxKeyLength() {
		return this.store.maxKeyLength();
	}

	private <T> T count(Operation operation, int keys, Supplier<T> call) {
		Counts count = this.counts.get(operation);
		long start = System.nanoTime();
		try {
			return call.get();
		}
		catch (DedupStoreException ex) {
			count.errors.increment();
			throw ex;
		}
		finally {
			count.nanos.add(System.nanoTime() - start);
			count.calls.increment();
			count.keys.add(keys);
		}
	}

	@Override
	public String toString() {
		return "Counting[" + this.store + "]";
	}

	private static final class Counts {

		final LongAdder calls = new LongAdder();

		final LongAdder keys = new LongAdder();

		final LongAdder nanos = new LongAdder();

		final LongAdder errors = new LongAdder();

	}

}
