package dev.dedup.kafka.poll;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of what the interceptor decided, for reports and Micrometer ({@code dedup.kafka.records}).
 */
public final class DedupKafkaStats {

	/** What happened to a record, or to its claim. */
	public enum Event {

		/** Claimed; the handler ran. */
		ACQUIRED,
		/** Already processed; skipped and acknowledged. */
		DUPLICATE,
		/** Another consumer holds it; redelivered later. */
		IN_PROGRESS_RETRIED,
		/** Another consumer holds it; skipped (policy skip). */
		IN_PROGRESS_SKIPPED,
		/** Store down, fail-closed: redelivered later. */
		STORE_UNAVAILABLE_RETRIED,
		/** Store down, fail-open: the handler ran unprotected. */
		STORE_UNAVAILABLE_BYPASSED,
		/** No usable id: the offset was used instead. */
		MISSING_ID_OFFSET,
		/** No usable id: rejected to the error handler. */
		MISSING_ID_REJECTED,
		/** No usable id: the handler ran unprotected. */
		MISSING_ID_BYPASSED,
		/** The handler succeeded and the id is now CONSUMED. */
		COMPLETED,
		/** The handler failed and the claim was released for redelivery. */
		RELEASED,
		/** The lease was taken over before the handler finished. */
		LEASE_LOST,
		/** The handler succeeded but the store could not be told. */
		COMPLETE_FAILED,
		/** The store holds an entry under the record's key that dedup did not write: to the error handler. */
		FOREIGN_ENTRY_REJECTED

	}

	private final Map<Event, LongAdder> counters = new EnumMap<>(Event.class);

	public DedupKafkaStats() {
		for (Event event : Event.values()) {
			this.counters.put(event, new LongAdder());
		}
	}

	void record(Event event) {
		this.counters.get(event).increment();
	}

	public long count(Event event) {
		return this.counters.get(event).sum();
	}

	@Override
	public String toString() {
		StringBuilder out = new StringBuilder("DedupKafkaStats{");
		this.counters.forEach((event, count) -> {
			long value = count.sum();
			if (value > 0) {
				out.append(event.name().toLowerCase()).append('=').append(value).append(", ");
			}
		});
		return out.append('}').toString().replace(", }", "}");
	}

}
