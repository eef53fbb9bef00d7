package dev.dedup.kafka.id;

import java.nio.charset.StandardCharsets;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jspecify.annotations.Nullable;

/**
 * The id is the record key: a {@code byte[]} key is read as UTF-8, anything else through
 * {@code toString()}. Use it only when producers give every message its own key (not an entity key that
 * many messages share).
 */
public final class RecordKeyMessageIdResolver implements MessageIdResolver {

	@Override
	public @Nullable String resolve(ConsumerRecord<?, ?> record) {
		Object key = record.key();
		if (key == null) {
			return null;
		}
		return key instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : key.toString();
	}

	@Override
	public String toString() {
		return "record key";
	}

}
