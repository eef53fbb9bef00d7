package dev.dedup.core.actuate;

import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

import dev.dedup.core.store.CountingDedupStore;
import dev.dedup.core.store.StoreOperation;
import dev.dedup.core.store.DedupStore;
import dev.dedup.core.store.ForwardingDedupStore;

/**
 * {@code dedup.store.calls} (a timer per operation: calls and time, failed calls included) and
 * {@code dedup.store.errors} (calls that failed as store unavailable, per operation), read from the
 * {@link CountingDedupStore} the engine's auto-configuration puts in front of the store: counting there
 * costs two adders per call and no Micrometer on the hot path.
 */
public final class StoreMeters implements MeterBinder {

	private final CountingDedupStore counts;

	private StoreMeters(CountingDedupStore counts) {
		this.counts = counts;
	}

	/** Meters for {@code store} (as the engine uses it), or none if nothing counts its calls. */
	public static MeterBinder of(DedupStore store) {
		CountingDedupStore counts = ForwardingDedupStore.find(store, CountingDedupStore.class);
		return (counts != null) ? new StoreMeters(counts) : registry -> {
		};
	}

	@Override
	public void bindTo(MeterRegistry registry) {
		for (StoreOperation operation : StoreOperation.values()) {
			String name = operation.methodName();
			FunctionTimer.builder("dedup.store.calls", this.counts, c -> c.calls(operation),
					c -> c.time(operation).toNanos(), TimeUnit.NANOSECONDS)
				.description("Dedup store calls (each one round trip) and their time, by operation")
				.tag("operation", name)
				.register(registry);
			FunctionCounter.builder("dedup.store.errors", this.counts, c -> c.errors(operation))
				.description("Dedup store calls that failed (store unreachable, timed out, or refused), by operation")
				.tag("operation", name)
				.register(registry);
		}
	}

}
