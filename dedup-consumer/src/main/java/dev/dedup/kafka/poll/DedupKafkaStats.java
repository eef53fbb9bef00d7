package dev.dedup.kafka.poll;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;

import org.jspecify.annotations.Nullable;

/**
 * Counters of what dedup decided for Kafka records, per consumer group and listener, for reports and
 * Micrometer ({@code dedup.kafka.records{event, group, listener}}).
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

	/** Who a count belongs to: a consumer group and a listener id, {@code none} where there is none. */
	public record Scope(String group, String listener) {

		static Scope of(@Nullable String group, @Nullable String listener) {
			return new Scope(nameOrNone(group), nameOrNone(listener));
		}

		private static String nameOrNone(@Nullable String name) {
			return (name == null || name.isEmpty()) ? "none" : name;
		}

	}

	private final ConcurrentMap<Scope, GroupCounts> groups = new ConcurrentHashMap<>();

	private final List<BiConsumer<Scope, GroupCounts>> newGroupListeners = new CopyOnWriteArrayList<>();

	/** The counts of one consumer group and listener, created at their first record. */
	public GroupCounts group(@Nullable String group, @Nullable String listenerId) {
		Scope scope = Scope.of(group, listenerId);
		GroupCounts counts = this.groups.get(scope);
		if (counts != null) {
			return counts;
		}
		GroupCounts created = new GroupCounts();
		counts = this.groups.putIfAbsent(scope, created);
		if (counts != null) {
			return counts;
		}
		this.newGroupListeners.forEach(listener -> listener.accept(scope, created));
		return created;
	}

	/** Calls {@code listener} for each scope counted so far and each later one (meters register per scope). */
	public void onEachGroup(BiConsumer<Scope, GroupCounts> listener) {
		this.newGroupListeners.add(listener);
		this.groups.forEach(listener);
	}

	/** How often {@code event} happened, in all groups. */
	public long count(Event event) {
		return this.groups.values().stream().mapToLong(counts -> counts.count(event)).sum();
	}

	@Override
	public String toString() {
		StringBuilder out = new StringBuilder("DedupKafkaStats{");
		for (Event event : Event.values()) {
			long value = count(event);
			if (value > 0) {
				out.append(event.name().toLowerCase()).append('=').append(value).append(", ");
			}
		}
		return out.append('}').toString().replace(", }", "}");
	}

	/** The counters of one consumer group. */
	public static final class GroupCounts {

		private final Map<Event, LongAdder> counters = new EnumMap<>(Event.class);

		GroupCounts() {
			for (Event event : Event.values()) {
				this.counters.put(event, new LongAdder());
			}
		}

		void record(Event event) {
			this.counters.get(event).increment();
		}

		void record(Event event, long times) {
			if (times > 0) {
				this.counters.get(event).add(times);
			}
		}

		public long count(Event event) {
			return this.counters.get(event).sum();
		}

	}

}
