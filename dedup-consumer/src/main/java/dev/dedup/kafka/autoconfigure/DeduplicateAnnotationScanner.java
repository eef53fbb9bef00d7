package dev.dedup.kafka.autoconfigure;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.config.BeanExpressionContext;
import org.springframework.beans.factory.config.BeanExpressionResolver;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.beans.factory.config.ConfigurableBeanFactory;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.annotation.TopicPartition;
import org.springframework.util.ClassUtils;
import org.springframework.util.ReflectionUtils;
import org.springframework.util.StringUtils;

import dev.dedup.kafka.listener.Deduplicate;

/**
 * Collects {@code @Deduplicate} listener methods as beans are created, resolving the topics and group of
 * their {@code @KafkaListener} (placeholders and SpEL included), so settings can be matched to records by
 * topic and group at run time.
 */
class DeduplicateAnnotationScanner implements BeanPostProcessor, BeanFactoryAware {

	private final List<DeduplicateBinding> bindings = new ArrayList<>();

	private final Set<String> listenerMethodNames = ConcurrentHashMap.newKeySet();

	private final List<ListenerMethod> listenerMethods = new ArrayList<>();

	private @Nullable ConfigurableBeanFactory beanFactory;

	@Override
	public void setBeanFactory(BeanFactory beanFactory) {
		this.beanFactory = beanFactory instanceof ConfigurableBeanFactory configurable ? configurable : null;
	}

	@Override
	public Object postProcessAfterInitialization(Object bean, String beanName) throws BeansException {
		Class<?> type = AopUtils.getTargetClass(bean);
		ReflectionUtils.doWithMethods(type, method -> register(method),
				method -> AnnotatedElementUtils.hasAnnotation(method, Deduplicate.class));
		ReflectionUtils.doWithMethods(type, method -> registerListener(method, type),
				method -> AnnotatedElementUtils.hasAnnotation(method, KafkaListener.class));
		return bean;
	}

	/**
	 * Whether {@code name} is the qualified name of a {@code @KafkaListener} method, which is what Spring
	 * names the transaction of a {@code @Transactional} listener method.
	 */
	boolean isListenerMethod(@Nullable String name) {
		return name != null && this.listenerMethodNames.contains(name);
	}

	/** Every {@code @KafkaListener} method seen, with what it consumes. */
	synchronized List<ListenerMethod> listenerMethods() {
		return List.copyOf(this.listenerMethods);
	}

	private synchronized void registerListener(Method method, Class<?> type) {
		this.listenerMethodNames.add(ClassUtils.getQualifiedMethodName(method, type));
		boolean deduplicated = AnnotatedElementUtils.hasAnnotation(method, Deduplicate.class);
		for (KafkaListener listener : AnnotatedElementUtils.findMergedRepeatableAnnotations(method, KafkaListener.class)) {
			String id = resolve(listener.id());
			this.listenerMethods.add(new ListenerMethod(method, StringUtils.hasText(id) ? id : null,
					consumption(listener), deduplicated));
		}
	}

	synchronized List<DeduplicateBinding> bindings() {
		return List.copyOf(this.bindings);
	}

	private synchronized void register(Method method) {
		Deduplicate deduplicate = AnnotatedElementUtils.findMergedAnnotation(method, Deduplicate.class);
		Set<KafkaListener> listeners = AnnotatedElementUtils.findMergedRepeatableAnnotations(method,
				KafkaListener.class);
		if (deduplicate == null) {
			return;
		}
		if (listeners.isEmpty()) {
			throw new IllegalStateException("@Deduplicate on " + method + " needs @KafkaListener on the same method");
		}
		for (KafkaListener listener : listeners) {
			DeduplicateBinding binding = bind(method, deduplicate, listener);
			for (DeduplicateBinding other : this.bindings) {
				if (other.method().equals(method)) {
					continue;
				}
				boolean sameGroup = binding.groupId() == null ? other.groupId() == null
						: binding.groupId().equals(other.groupId());
				boolean sharedTopic = binding.topics().stream().anyMatch(other::consumes)
						|| other.topics().stream().anyMatch(binding::consumes);
				if (sameGroup && sharedTopic) {
					throw new IllegalStateException("@Deduplicate listeners " + other.describe() + " and "
							+ binding.describe() + " consume the same topic in the same consumer group, so their "
							+ "settings cannot be told apart; give their @KafkaListener distinct groupId values");
				}
			}
			this.bindings.add(binding);
		}
	}

	private DeduplicateBinding bind(Method method, Deduplicate deduplicate, KafkaListener listener) {
		Consumption consumption = consumption(listener);
		return new DeduplicateBinding(method, deduplicate, consumption.topics(), consumption.topicPattern(),
				consumption.groupId());
	}

	private Consumption consumption(KafkaListener listener) {
		Set<String> topics = new LinkedHashSet<>();
		for (String topic : listener.topics()) {
			topics.addAll(resolveAll(topic));
		}
		for (TopicPartition partition : listener.topicPartitions()) {
			topics.addAll(resolveAll(partition.topic()));
		}
		String pattern = resolve(listener.topicPattern());
		String group = resolve(listener.groupId());
		if (!StringUtils.hasText(group) && listener.idIsGroup()) {
			group = resolve(listener.id());
		}
		return new Consumption(Set.copyOf(topics), StringUtils.hasText(pattern) ? Pattern.compile(pattern) : null,
				StringUtils.hasText(group) ? group : null);
	}

	/** What a {@code @KafkaListener} consumes: topics or a pattern, and its group if it names one. */
	record Consumption(Set<String> topics, @Nullable Pattern topicPattern, @Nullable String groupId) {

		boolean sameAs(@Nullable String group, Set<String> containerTopics, @Nullable Pattern containerPattern) {
			boolean sameGroup = this.groupId == null || this.groupId.equals(group);
			boolean sameTopics = !containerTopics.isEmpty() ? containerTopics.equals(this.topics)
					: containerPattern != null && this.topicPattern != null
							&& containerPattern.pattern().equals(this.topicPattern.pattern());
			return sameGroup && sameTopics;
		}

	}

	/** A {@code @KafkaListener} method: its listener id if it sets one, and whether it is {@code @Deduplicate}. */
	record ListenerMethod(Method method, @Nullable String id, Consumption consumption, boolean deduplicated) {

		String describe() {
			return this.method.getDeclaringClass().getName() + "." + this.method.getName();
		}

	}

	private List<String> resolveAll(String value) {
		Object resolved = evaluate(value);
		if (resolved instanceof String[] array) {
			return Arrays.asList(array);
		}
		if (resolved instanceof Iterable<?> iterable) {
			List<String> values = new ArrayList<>();
			iterable.forEach(each -> values.add(String.valueOf(each)));
			return values;
		}
		return resolved == null ? List.of() : List.of(String.valueOf(resolved));
	}

	private @Nullable String resolve(String value) {
		Object resolved = evaluate(value);
		return resolved == null ? null : resolved.toString();
	}

	private @Nullable Object evaluate(String value) {
		if (this.beanFactory == null || value.isEmpty()) {
			return value;
		}
		String embedded = this.beanFactory.resolveEmbeddedValue(value);
		BeanExpressionResolver resolver = this.beanFactory.getBeanExpressionResolver();
		if (resolver == null || embedded == null) {
			return embedded;
		}
		return resolver.evaluate(embedded, new BeanExpressionContext(this.beanFactory, null));
	}

}
