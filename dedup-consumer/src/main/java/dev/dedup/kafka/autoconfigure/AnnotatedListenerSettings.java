package dev.dedup.kafka.autoconfigure;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.convert.DurationStyle;

import dev.dedup.kafka.id.ExpressionMessageIdResolver;
import dev.dedup.kafka.id.MessageIdResolver;
import dev.dedup.kafka.listener.Deduplicate;
import dev.dedup.kafka.poll.InProgressPolicy;
import dev.dedup.kafka.poll.ListenerDedupSettings;
import dev.dedup.kafka.poll.ListenerSettingsResolver;

/**
 * Settings per (group, topic): the {@code @Deduplicate} binding that applies, over the defaults. A binding
 * that names the group wins over one that does not. Answers are cached: the set of topics is small.
 */
class AnnotatedListenerSettings implements ListenerSettingsResolver {

	private final ListenerDedupSettings defaults;

	private final Supplier<List<DeduplicateBinding>> bindings;

	private final Function<String, MessageIdResolver> resolverBeans;

	private final Map<String, ListenerDedupSettings> cache = new ConcurrentHashMap<>();

	private final Map<DeduplicateBinding, ListenerDedupSettings> merged = new ConcurrentHashMap<>();

	/**
	 * @param bindings the annotated listeners (read lazily: listeners are found as beans are created)
	 * @param resolverBeans looks up a {@link MessageIdResolver} bean by name
	 */
	AnnotatedListenerSettings(ListenerDedupSettings defaults, Supplier<List<DeduplicateBinding>> bindings,
			Function<String, MessageIdResolver> resolverBeans) {
		this.defaults = defaults;
		this.bindings = bindings;
		this.resolverBeans = resolverBeans;
	}

	/**
	 * The answer of the last call: a consumer thread asks for the same group and topic record after record,
	 * and this spares each of those calls a concatenated key, its hash and a map lookup.
	 */
	private volatile @Nullable Resolved last;

	@Override
	public ListenerDedupSettings resolve(@Nullable String groupId, String topic) {
		Resolved recent = this.last;
		if (recent != null && recent.isFor(groupId, topic)) {
			return recent.settings();
		}
		ListenerDedupSettings settings = this.cache.computeIfAbsent(groupId + "\u0000" + topic,
				key -> find(groupId, topic));
		this.last = new Resolved(groupId, topic, settings);
		return settings;
	}

	private record Resolved(@Nullable String groupId, String topic, ListenerDedupSettings settings) {

		boolean isFor(@Nullable String otherGroup, String otherTopic) {
			return Objects.equals(this.groupId, otherGroup) && this.topic.equals(otherTopic);
		}

	}

	private ListenerDedupSettings find(@Nullable String groupId, String topic) {
		DeduplicateBinding fallback = null;
		for (DeduplicateBinding binding : this.bindings.get()) {
			if (!binding.appliesTo(groupId, topic)) {
				continue;
			}
			if (binding.groupId() != null) {
				return settingsOf(binding);
			}
			fallback = binding;
		}
		return fallback == null ? this.defaults : settingsOf(fallback);
	}

	/** Merges every binding now, so a malformed {@code @Deduplicate} fails at startup. */
	void validateAll() {
		this.bindings.get().forEach(this::settingsOf);
	}

	private ListenerDedupSettings settingsOf(DeduplicateBinding binding) {
		return this.merged.computeIfAbsent(binding, this::merge);
	}

	private ListenerDedupSettings merge(DeduplicateBinding binding) {
		Deduplicate annotation = binding.annotation();
		if (!annotation.id().isEmpty() && !annotation.idResolver().isEmpty()) {
			throw new IllegalStateException("@Deduplicate on " + binding.describe()
					+ " sets both id and idResolver; choose one");
		}
		MessageIdResolver idResolver = this.defaults.idResolver();
		if (!annotation.id().isEmpty()) {
			idResolver = new ExpressionMessageIdResolver(annotation.id());
		}
		else if (!annotation.idResolver().isEmpty()) {
			idResolver = this.resolverBeans.apply(annotation.idResolver());
		}
		InProgressPolicy onInProgress = switch (annotation.onInProgress()) {
			case DEFAULT -> this.defaults.onInProgress();
			case RETRY -> InProgressPolicy.RETRY;
			case SKIP -> InProgressPolicy.SKIP;
		};
		return new ListenerDedupSettings(idResolver, this.defaults.missingId(),
				duration(annotation.lease(), this.defaults.lease(), "lease", binding),
				duration(annotation.retention(), this.defaults.retention(), "retention", binding), onInProgress);
	}

	private static Duration duration(String value, Duration fallback, String name, DeduplicateBinding binding) {
		if (value.isBlank()) {
			return fallback;
		}
		try {
			return DurationStyle.detectAndParse(value.trim());
		}
		catch (IllegalArgumentException ex) {
			throw new IllegalStateException("@Deduplicate(" + name + " = \"" + value + "\") on "
					+ binding.describe() + " is not a duration; use e.g. 45s, 2m, 7d or PT45S", ex);
		}
	}

}
