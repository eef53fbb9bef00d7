package dev.dedup.kafka.poll;

import java.time.Duration;
import java.util.Objects;

import dev.dedup.core.Durations;
import dev.dedup.kafka.id.MessageIdResolver;

/**
 * How one listener deduplicates: the defaults from {@code dedup.kafka.*}, overridden per listener by
 * {@link Deduplicate}.
 *
 * @param idResolver where the message id comes from
 * @param missingId what to do when there is none
 * @param lease how long a claim holds before another consumer may take over (renewed while the handler runs)
 * @param retention how long a processed id is remembered
 * @param onInProgress what to do when another consumer holds the id
 */
public record ListenerDedupSettings(MessageIdResolver idResolver, MissingIdPolicy missingId, Duration lease,
		Duration retention, InProgressPolicy onInProgress) {

	public ListenerDedupSettings {
		Objects.requireNonNull(idResolver, "idResolver");
		Objects.requireNonNull(missingId, "missingId");
		Objects.requireNonNull(onInProgress, "onInProgress");
		Durations.requireAtLeastOneMilli(lease, "dedup lease");
		Durations.requireAtLeastOneMilli(retention, "dedup retention");
	}

}
