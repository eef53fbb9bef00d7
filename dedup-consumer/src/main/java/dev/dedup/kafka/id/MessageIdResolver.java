package dev.dedup.kafka.id;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jspecify.annotations.Nullable;

/**
 * Finds the id that names a message for dedup. Two records with the same id (in one consumer group) are
 * the same message. Declare a bean of this type to replace the default (header {@code dedup-id}).
 */
@FunctionalInterface
public interface MessageIdResolver {

	/**
	 * @return the id, or null (or empty) when the record carries none; the missing-id policy then decides
	 */
	@Nullable String resolve(ConsumerRecord<?, ?> record);

}
