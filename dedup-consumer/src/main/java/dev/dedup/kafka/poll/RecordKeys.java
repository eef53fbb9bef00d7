package dev.dedup.kafka.poll;

import java.util.Objects;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.dedup.core.key.DedupKeys;
import dev.dedup.core.key.InvalidMessageIdException;
import dev.dedup.kafka.poll.DedupKafkaStats.Event;

/**
 * Turns a record into its store key: {@code {prefix}:kafka:{consumer group}:{message id}}, the id from the
 * listener's {@link dev.dedup.kafka.id.MessageIdResolver}; an id too long for the store is hashed by
 * {@link DedupKeys}. A record without a usable id (none, empty, control characters) follows the listener's
 * {@link MissingIdPolicy}, decided here and nowhere else.
 */
public final class RecordKeys {

	private static final Logger log = LoggerFactory.getLogger(RecordKeys.class);

	/** Scope for consumers without a group (manual assignment without group.id). */
	static final String NO_GROUP_SCOPE = "-";

	private final DedupKeys keys;

	public RecordKeys(DedupKeys keys) {
		this.keys = Objects.requireNonNull(keys, "keys");
	}

	/**
	 * The record's key, counting (in {@code counts}) and logging what the missing-id policy decided.
	 * @return the key, or null when the policy says to run the record without dedup
	 * @throws InvalidMessageIdException when the record has no usable id and the policy rejects it
	 */
	@SuppressWarnings("deprecation") // SKIP, the old name of UNPROTECTED, is canonical() away
	public @Nullable String keyFor(ConsumerRecord<?, ?> record, @Nullable String group,
			ListenerDedupSettings listener, DedupKafkaStats.GroupCounts counts) {
		String scope = scope(group);
		IdKey found = idKey(record, scope, listener);
		if (found.key() != null) {
			return found.key();
		}
		String problem = found.problem();
		return switch (listener.missingId().canonical()) {
			case OFFSET -> {
				counts.record(Event.MISSING_ID_OFFSET);
				log.debug("{} {}; using its offset as the id", describe(record), problem);
				yield offsetKey(scope, record);
			}
			case UNPROTECTED, SKIP -> {
				counts.record(Event.MISSING_ID_BYPASSED);
				log.warn("{} {}; running it without dedup (dedup.kafka.missing-id=unprotected)", describe(record),
						problem);
				yield null;
			}
			case REJECT -> {
				counts.record(Event.MISSING_ID_REJECTED);
				throw new InvalidMessageIdException(describe(record) + " " + problem
						+ " and dedup.kafka.missing-id=reject");
			}
		};
	}

	/**
	 * The key {@link #keyFor} will give this record, found without counting, logging or throwing; null where
	 * it will give none, or where the id resolver fails (that is reported when {@link #keyFor} runs).
	 */
	@Nullable QuietKey quietKeyFor(ConsumerRecord<?, ?> record, @Nullable String group, ListenerDedupSettings listener) {
		String scope = scope(group);
		IdKey found;
		try {
			found = idKey(record, scope, listener);
		}
		catch (RuntimeException ex) {
			return null;
		}
		if (found.key() != null) {
			return new QuietKey(found.key(), true);
		}
		return listener.missingId() == MissingIdPolicy.OFFSET ? new QuietKey(offsetKey(scope, record), false) : null;
	}

	/**
	 * A key found quietly; {@code fromId}: made of the record's id, so {@link #keyFor} would give the same
	 * key with nothing to count or log (an offset key comes with the missing-id count).
	 */
	record QuietKey(String key, boolean fromId) {
	}

	/**
	 * The key made of the record's id, or why there is none (no id, or an unusable one). Anything else the
	 * id resolver throws is thrown.
	 */
	private IdKey idKey(ConsumerRecord<?, ?> record, String scope, ListenerDedupSettings listener) {
		try {
			String id = listener.idResolver().resolve(record);
			if (id != null && !id.isEmpty()) {
				return new IdKey(this.keys.kafka(scope, id), null);
			}
			return new IdKey(null, "has no message id (" + listener.idResolver() + ")");
		}
		catch (InvalidMessageIdException ex) {
			return new IdKey(null, "has an unusable message id: " + ex.getMessage());
		}
	}

	private static String scope(@Nullable String group) {
		return group == null || group.isEmpty() ? NO_GROUP_SCOPE : group;
	}

	private String offsetKey(String scope, ConsumerRecord<?, ?> record) {
		return this.keys.kafka(scope, "offset:" + record.topic() + "-" + record.partition() + "-" + record.offset());
	}

	/** How records are named in logs and exceptions: {@code record topic-partition@offset}. */
	public static String describe(ConsumerRecord<?, ?> record) {
		return "record " + record.topic() + "-" + record.partition() + "@" + record.offset();
	}

	/** A record's key from its id, or, when it has none, the {@code problem} to report. */
	private record IdKey(@Nullable String key, @Nullable String problem) {
	}

}
