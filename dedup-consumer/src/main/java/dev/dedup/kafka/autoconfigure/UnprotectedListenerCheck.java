package dev.dedup.kafka.autoconfigure;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.listener.AbstractMessageListenerContainer;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.MessageListenerContainer;

import dev.dedup.kafka.autoconfigure.DeduplicateAnnotationScanner.ListenerMethod;
import dev.dedup.kafka.listener.DedupKafkaConfigurer;

/**
 * Just before the listener containers start, finds those whose factory dedup was not installed on: a
 * {@code @Deduplicate} listener among them fails startup, any other is named in a warning. A listener is
 * never silently unprotected.
 */
class UnprotectedListenerCheck implements SmartLifecycle {

	private static final Logger log = LoggerFactory.getLogger(UnprotectedListenerCheck.class);

	private final Supplier<@Nullable KafkaListenerEndpointRegistry> registry;

	private final Supplier<DedupKafkaConfigurer> configurer;

	private final Supplier<List<ListenerMethod>> listenerMethods;

	private volatile boolean running;

	UnprotectedListenerCheck(Supplier<@Nullable KafkaListenerEndpointRegistry> registry,
			Supplier<DedupKafkaConfigurer> configurer, Supplier<List<ListenerMethod>> listenerMethods) {
		this.registry = registry;
		this.configurer = configurer;
		this.listenerMethods = listenerMethods;
	}

	@Override
	public void start() {
		this.running = true;
		KafkaListenerEndpointRegistry containers = this.registry.get();
		if (containers == null) {
			return;
		}
		for (MessageListenerContainer container : containers.getListenerContainers()) {
			if (this.configurer.get().protects(container)) {
				continue;
			}
			List<ListenerMethod> methods = methodsOf(container);
			String named = methods.isEmpty() ? "listener container '" + container.getListenerId() + "'"
					: methods.stream().map(ListenerMethod::describe).distinct().toList() + " (listener container '"
							+ container.getListenerId() + "')";
			String why = named + " is made by a container factory dedup was not installed on, so it is not "
					+ "deduplicated; pass the factory to DedupKafkaConfigurer.configure(factory)";
			if (methods.stream().anyMatch(ListenerMethod::deduplicated)) {
				throw new IllegalStateException("@Deduplicate " + why);
			}
			log.warn(why);
		}
	}

	private List<ListenerMethod> methodsOf(MessageListenerContainer container) {
		ContainerProperties properties = container.getContainerProperties();
		Set<String> topics = properties.getTopics() == null ? Set.of() : Set.copyOf(Arrays.asList(properties.getTopics()));
		if (topics.isEmpty() && properties.getTopicPartitions() != null) {
			topics = Arrays.stream(properties.getTopicPartitions()).map(tp -> tp.getTopic())
				.collect(java.util.stream.Collectors.toSet());
		}
		Set<String> consumed = topics;
		Pattern pattern = properties.getTopicPattern();
		String group = container.getGroupId();
		return this.listenerMethods.get().stream()
			.filter(method -> method.id() != null ? method.id().equals(container.getListenerId())
					: method.consumption().sameAs(group, consumed, pattern))
			.toList();
	}

	@Override
	public void stop() {
		this.running = false;
	}

	@Override
	public boolean isRunning() {
		return this.running;
	}

	/** Just before the containers (which start in {@link AbstractMessageListenerContainer#DEFAULT_PHASE}). */
	@Override
	public int getPhase() {
		return AbstractMessageListenerContainer.DEFAULT_PHASE - 1;
	}

}
