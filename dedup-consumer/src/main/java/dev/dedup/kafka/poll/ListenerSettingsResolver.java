package dev.dedup.kafka.poll;

import org.jspecify.annotations.Nullable;

/** Finds the dedup settings for the listener that consumes {@code topic} in {@code groupId}. */
@FunctionalInterface
public interface ListenerSettingsResolver {

	ListenerDedupSettings resolve(@Nullable String groupId, String topic);

	/** The same settings for every listener. */
	static ListenerSettingsResolver fixed(ListenerDedupSettings settings) {
		return (groupId, topic) -> settings;
	}

}
