package dev.dedup.core.actuate;

import org.jspecify.annotations.Nullable;

import dev.dedup.core.store.DedupStore;
import dev.dedup.core.store.ForwardingDedupStore;

/** Finds the wrappers the engine's auto-configuration puts around the store (see DedupAutoConfiguration). */
final class Stores {

	private Stores() {
	}

	static <T extends DedupStore> @Nullable T find(DedupStore store, Class<T> type) {
		for (DedupStore current = store; current != null; current = inner(current)) {
			if (type.isInstance(current)) {
				return type.cast(current);
			}
		}
		return null;
	}

	static DedupStore innermost(DedupStore store) {
		DedupStore current = store;
		for (DedupStore next = inner(current); next != null; next = inner(next)) {
			current = next;
		}
		return current;
	}

	private static @Nullable DedupStore inner(DedupStore store) {
		return (store instanceof ForwardingDedupStore forwarding) ? forwarding.store() : null;
	}

}
