package dev.dedup.core.store;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * A store that counts its calls: per operation, how many calls (each one store round trip), how many keys
 * they carried and how long they took, failed calls included, and how many failed as store unavailable.
 * Micrometer's {@code dedup.store.calls} and {@code dedup.store.errors} read these counts. The engine's
 * auto-configuration puts it right in front of the store, so the figures are the store's own. Counting costs
 * a few {@link LongAdder} updates and two clock reads per call.
 */
public final class CountingDedupStore extends ForwardingDedupStore {

	private final Map<StoreOperation, Counts> counts = new EnumMap<>(StoreOperation.class);

	public CountingDedupStore(DedupStore store) {
		super(store);
		for (StoreOperation operation : StoreOperation.values()) {
			this.counts.put(operation, new Counts());
		}
	}

	/** Calls (store round trips) made for {@code operation} so far. */
	public long calls(StoreOperation operation) {
		return this.counts.get(operation).calls.sum();
	}

	/** Keys carried by the calls for {@code operation} so far (one per call, or a batch's size). */
	public long keys(StoreOperation operation) {
		return this.counts.get(operation).keys.sum();
	}

	/** Time spent in the calls for {@code operation} so far. */
	public Duration time(StoreOperation operation) {
		return Duration.ofNanos(this.counts.get(operation).nanos.sum());
	}

	/** Calls for {@code operation} that failed with a {@link DedupStoreException} so far. */
	public long errors(StoreOperation operation) {
		return this.counts.get(operation).errors.sum();
	}

	/** Calls for every operation so far. */
	public long calls() {
		return this.counts.values().stream().mapToLong(count -> count.calls.sum()).sum();
	}

	@Override
	protected <T> T around(StoreOperation operation, int keys, Supplier<T> step) {
		Counts count = this.counts.get(operation);
		long start = System.nanoTime();
		try {
			return step.get();
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
		return "Counting[" + store() + "]";
	}

	private static final class Counts {

		final LongAdder calls = new LongAdder();

		final LongAdder keys = new LongAdder();

		final LongAdder nanos = new LongAdder();

		final LongAdder errors = new LongAdder();

	}

}
