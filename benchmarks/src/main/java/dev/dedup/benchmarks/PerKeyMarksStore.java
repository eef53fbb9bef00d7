package dev.dedup.benchmarks;

import java.util.function.Supplier;

import dev.dedup.core.store.DedupStore;
import dev.dedup.core.store.ForwardingDedupStore;
import dev.dedup.core.store.StoreOperation;

/**
 * The {@code *-per-key-marks} variants' store: the JDBC store as it is, but saying it does not complete a
 * poll in one write, so the engine and adapters take the path every store took before polls had rows of
 * their own: each key a row with its own lease, each mark a write per key, a record listener's marks sent
 * as they come. The same code and table as the plain variant, for a comparison in one run.
 */
final class PerKeyMarksStore extends ForwardingDedupStore {

	PerKeyMarksStore(DedupStore store) {
		super(store);
	}

	@Override
	public boolean completesPollsInOneWrite() {
		return false;
	}

	@Override
	protected <T> T around(StoreOperation operation, int keys, Supplier<T> step) {
		return step.get();
	}

}
