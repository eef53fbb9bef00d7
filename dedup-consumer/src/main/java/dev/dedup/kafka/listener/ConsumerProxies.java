package dev.dedup.kafka.listener;

import org.aopalliance.aop.Advice;
import org.jspecify.annotations.Nullable;
import org.springframework.aop.framework.Advised;

/**
 * Finds dedup's advice on a consumer that consumer post-processors wrapped in proxies, however many and in
 * whatever order the factory applied them.
 */
final class ConsumerProxies {

	private ConsumerProxies() {
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
