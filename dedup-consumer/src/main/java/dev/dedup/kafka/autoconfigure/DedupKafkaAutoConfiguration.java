package dev.dedup.kafka.autoconfigure;

import java.util.Locale;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.binder.MeterBinder;

import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.config.AbstractKafkaListenerContainerFactory;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.listener.CommonErrorHandler;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.transaction.TransactionExecutionListener;
import org.springframework.util.StringUtils;

import dev.dedup.core.autoconfigure.DedupAutoConfiguration;
import dev.dedup.core.engine.DedupEngine;
import dev.dedup.core.key.DedupKeys;
import dev.dedup.kafka.id.ExpressionMessageIdResolver;
import dev.dedup.kafka.id.HeaderMessageIdResolver;
import dev.dedup.kafka.id.MessageIdResolver;
import dev.dedup.kafka.id.RecordKeyMessageIdResolver;
import dev.dedup.kafka.listener.DedupKafkaConfigurer;
import dev.dedup.kafka.poll.ConsumerDedup;
import dev.dedup.kafka.poll.DedupKafkaStats;
import dev.dedup.kafka.listener.DedupRecordInterceptor;
import dev.dedup.kafka.listener.ListenerTransactionMarks;
import dev.dedup.kafka.poll.ListenerDedupSettings;

/**
 * Deduplicates {@code @KafkaListener}s: installs the dedup interceptor and the dedup-aware error handler on
 * Boot's {@code kafkaListenerContainerFactory}, and offers {@link DedupKafkaConfigurer} for other factories.
 * No bean here is a {@code RecordInterceptor} or {@code CommonErrorHandler}, so Boot still applies a
 * user's own unique interceptor and error handler, which dedup then composes with.
 */
@AutoConfiguration(after = DedupAutoConfiguration.class,
		afterName = "org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration")
@ConditionalOnClass(AbstractKafkaListenerContainerFactory.class)
@ConditionalOnBean(DedupEngine.class)
@ConditionalOnProperty(name = "dedup.kafka.enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(DedupKafkaProperties.class)
public class DedupKafkaAutoConfiguration {

	/** Boot's listener container factory bean. */
	static final String BOOT_FACTORY_BEAN_NAME = "kafkaListenerContainerFactory";

	@Bean
	static DeduplicateAnnotationScanner dedupDeduplicateAnnotationScanner() {
		return new DeduplicateAnnotationScanner();
	}

	@Bean
	@ConditionalOnMissingBean
	DedupKafkaStats dedupKafkaStats() {
		return new DedupKafkaStats();
	}

	@Bean
	AnnotatedListenerSettings dedupListenerSettings(DedupKafkaProperties properties,
			ObjectProvider<MessageIdResolver> idResolver, DeduplicateAnnotationScanner scanner, BeanFactory beanFactory) {
		ListenerDedupSettings defaults = new ListenerDedupSettings(
				idResolver.getIfUnique(() -> defaultIdResolver(properties)), properties.getMissingId(),
				properties.getLease(), properties.getRetention(), properties.getOnInProgress());
		return new AnnotatedListenerSettings(defaults, scanner::bindings,
				name -> beanFactory.getBean(name, MessageIdResolver.class));
	}

	@Bean
	@ConditionalOnMissingBean
	DedupKafkaConfigurer dedupKafkaConfigurer(DedupEngine engine, DedupKeys keys, AnnotatedListenerSettings settings,
			DedupKafkaStats stats, ObjectProvider<CommonErrorHandler> errorHandler, DedupKafkaProperties properties) {
		DedupRecordInterceptor<Object, Object> interceptor = new DedupRecordInterceptor<>(new ConsumerDedup(engine,
				keys, settings, stats, properties.isBatchPolls(), properties.getMarkLinger(), properties.getPollMarkWait()));
		// Boot passes a unique CommonErrorHandler bean to its factory; without one, containers use this default.
		return new DedupKafkaConfigurer(interceptor, () -> errorHandler.getIfUnique(DefaultErrorHandler::new),
				properties.isCommitsWaitForMarks());
	}

	/** Names, just before they start, the listener containers dedup does not protect. */
	@Bean
	static UnprotectedListenerCheck dedupUnprotectedListenerCheck(ObjectProvider<KafkaListenerEndpointRegistry> registry,
			ObjectProvider<DedupKafkaConfigurer> configurer, DeduplicateAnnotationScanner scanner) {
		return new UnprotectedListenerCheck(registry::getIfAvailable, configurer::getObject, scanner::listenerMethods);
	}

	/** Fails at startup, not at the first record, when a @Deduplicate is malformed. */
	@Bean
	static SmartInitializingSingleton dedupDeduplicateValidator(ObjectProvider<AnnotatedListenerSettings> settings) {
		return () -> settings.getObject().validateAll();
	}

	@Bean
	static BeanPostProcessor dedupBootFactoryInstaller(ObjectProvider<DedupKafkaConfigurer> configurer) {
		return new BeanPostProcessor() {

			@Override
			public Object postProcessAfterInitialization(Object bean, String beanName) throws BeansException {
				if (BOOT_FACTORY_BEAN_NAME.equals(beanName)
						&& bean instanceof AbstractKafkaListenerContainerFactory<?, ?, ?> factory) {
					configurer.getObject().configure(factory);
				}
				return bean;
			}

		};
	}

	/**
	 * Writes the marks of a {@code @Transactional} listener method in its own transaction when that runs on
	 * the store's DataSource. Boot adds it to its transaction manager.
	 */
	@Bean
	@ConditionalOnClass(TransactionExecutionListener.class)
	ListenerTransactionMarks dedupListenerTransactionMarks(DedupKafkaConfigurer configurer,
			DeduplicateAnnotationScanner scanner) {
		return new ListenerTransactionMarks(configurer.interceptor().dedup(), scanner::isListenerMethod);
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(MeterBinder.class)
	static class DedupKafkaMetricsConfiguration {

		/**
		 * {@code dedup.kafka.records{event=duplicate|completed|…, group=<consumer group>, listener=<listener id>}},
		 * read from {@link DedupKafkaStats}; a scope's counters are registered at its first record.
		 */
		@Bean
		MeterBinder dedupKafkaMeterBinder(DedupKafkaStats stats) {
			return registry -> stats.onEachGroup((scope, counts) -> {
				for (DedupKafkaStats.Event event : DedupKafkaStats.Event.values()) {
					FunctionCounter.builder("dedup.kafka.records", counts, c -> c.count(event))
						.description("Kafka records by dedup decision")
						.tag("event", event.name().toLowerCase(Locale.ROOT))
						.tag("group", scope.group())
						.tag("listener", scope.listener())
						.register(registry);
				}
			});
		}

	}

	static MessageIdResolver defaultIdResolver(DedupKafkaProperties properties) {
		DedupKafkaProperties.IdSource source = properties.getIdSource();
		String expression = properties.getIdExpression();
		if (source == null) {
			source = StringUtils.hasText(expression) ? DedupKafkaProperties.IdSource.EXPRESSION
					: DedupKafkaProperties.IdSource.HEADER;
		}
		return switch (source) {
			case HEADER -> new HeaderMessageIdResolver(properties.getIdHeader());
			case KEY -> new RecordKeyMessageIdResolver();
			case EXPRESSION -> {
				if (!StringUtils.hasText(expression)) {
					throw new IllegalStateException("dedup.kafka.id-source=expression needs dedup.kafka.id-expression");
				}
				yield new ExpressionMessageIdResolver(expression);
			}
		};
	}

}
