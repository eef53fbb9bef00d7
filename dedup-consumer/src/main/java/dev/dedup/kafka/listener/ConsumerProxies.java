package dev.dedup.kafka.listener;

import java.util.function.Supplier;

import org.aopalliance.aop.Advice;
import org.apache.kafka.clients.consumer.Consumer;
import org.jspecify.annotations.Nullable;
import org.springframework.aop.framework.Advised;
import org.springframework.aop.framework.ProxyFactory;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.core.ConsumerPostProcessor;

/**
 * What dedup's consumer post-processors share: adding one to a factory once, wrapping a consumer in a proxy
 * with one advice, and finding that advice again on a consumer that post-processors wrapped in proxies,
 * however many and in whatever order the factory applied them.
 */
final class ConsumerProxies {

	private ConsumerProxies() {
	}

	/**
	 * Adds a post-processor of {@code type} to {@code factory} unless it has one.
	 * @return false if the factory takes no post-processors
	 */
	@SuppressWarnings({ "unchecked", "rawtypes" })
	static boolean installOnce(@Nullable ConsumerFactory<?, ?> factory, Class<?> type,
			Supplier<ConsumerPostProcessor<?, ?>> postProcessor) {
		if (factory == null) {
			return false;
		}
		if (factory.getPostProcessors().stream().anyMatch(type::isInstance)) {
			return true;
		}
		ConsumerFactory raw = factory;
		raw.addPostProcessor((ConsumerPostProcessor) postProcessor.get());
		return factory.getPostProcessors().stream().anyMatch(type::isInstance);
	}

	/** {@code consumer} behind a proxy that runs {@code advice} on each of its calls. */
	@SuppressWarnings("unchecked")
	static <K, V> Consumer<K, V> wrap(Consumer<K, V> consumer, Advice advice) {
		ProxyFactory proxy = new ProxyFactory(consumer);
		proxy.addInterface(Consumer.class);
		proxy.addAdvice(advice);
		return (Consumer<K, V>) proxy.getProxy(ConsumerProxies.class.getClassLoader());
	}

	/** The advice of type {@code type} on {@code consumer} or on any proxy it wraps, or null. */
	static <A extends Advice> @Nullable A find(Object consumer, Class<A> type) {
		Object current = consumer;
		while (current instanceof Advised advised) {
			for (var advisor : advised.getAdvisors()) {
				if (type.isInstance(advisor.getAdvice())) {
					return type.cast(advisor.getAdvice());
				}
			}
			try {
				current = advised.getTargetSource().getTarget();
			}
			catch (Exception ex) {
				return null;
			}
		}
		return null;
	}

}
