package dev.dedup.kafka.autoconfigure;

import java.lang.reflect.Method;
import java.util.Set;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

import dev.dedup.kafka.listener.Deduplicate;

/**
 * A {@code @Deduplicate} listener method and what it consumes: literal topics or a pattern, and the
 * consumer group when the {@code @KafkaListener} names one (null: whatever group the factory uses).
 */
record DeduplicateBinding(Method method, Deduplicate annotation, Set<String> topics, @Nullable Pattern topicPattern,
		@Nullable String groupId) {

	boolean consumes(String topic) {
		return this.topics.contains(topic) || (this.topicPattern != null && this.topicPattern.matcher(topic).matches());
	}

	boolean appliesTo(@Nullable String group, String topic) {
		return consumes(topic) && (this.groupId == null || this.groupId.equals(group));
	}

	String describe() {
		return this.method.getDeclaringClass().getSimpleName() + "." + this.method.getName();
	}

}
