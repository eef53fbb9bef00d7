package dev.dedup.kafka.autoconfigure;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

import com.jayway.jsonpath.JsonPath;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.DirectFieldAccessor;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.config.AbstractKafkaListenerContainerFactory;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.listener.CommonErrorHandler;
import org.springframework.kafka.listener.CommonLoggingErrorHandler;
import org.springframework.kafka.listener.CompositeRecordInterceptor;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.kafka.listener.RecordInterceptor;
import org.springframework.kafka.support.KafkaUtils;

import dev.dedup.core.autoconfigure.DedupAutoConfiguration;
import dev.dedup.core.engine.DedupEngine;
import dev.dedup.core.key.DedupKeys;
import dev.dedup.core.store.ClaimOutcome;
import dev.dedup.core.store.ClaimResult;
import dev.dedup.core.store.DedupStore;
import dev.dedup.core.store.InMemoryDedupStore;
import dev.dedup.core.store.StoredEntry;
import dev.dedup.kafka.id.MessageIdResolver;
import dev.dedup.kafka.id.RecordKeyMessageIdResolver;
import dev.dedup.kafka.listener.DedupAwareErrorHandler;
import dev.dedup.kafka.listener.DedupKafkaConfigurer;
import dev.dedup.kafka.poll.DedupKafkaStats;
import dev.dedup.kafka.listener.DedupRecordInterceptor;
import dev.dedup.kafka.listener.DedupRetryLaterException;
import dev.dedup.kafka.listener.Deduplicate;
import dev.dedup.kafka.poll.InProgressPolicy;
import dev.dedup.kafka.poll.ListenerDedupSettings;
import dev.dedup.kafka.poll.ListenerSettingsResolver;
import dev.dedup.kafka.poll.MissingIdPolicy;
import dev.dedup.kafka.listener.PollCapturingInterceptor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.mockito.Mockito.mock;

class DedupKafkaAutoConfigurationTests {

	private static final String BOOT_FACTORY = "kafkaListenerContainerFactory";

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(DedupAutoConfiguration.class, KafkaAutoConfiguration.class,
				DedupKafkaAutoConfiguration.class))
		.withPropertyValues("dedup.store=memory");

	@SuppressWarnings("unchecked")
	private final Consumer<Object, Object> consumer = mock(Consumer.class);

	@AfterEach
	void clearGroup() {
		KafkaUtils.clearConsumerGroupId();
	}

	@Test
	void bootFactoryGetsTheDedupInterceptorAndADedupAwareErrorHandler() {
		this.runner.run(context -> {
			assertThat(context).hasNotFailed().hasSingleBean(DedupKafkaConfigurer.class);
			DedupKafkaConfigurer configurer = context.getBean(DedupKafkaConfigurer.class);
			ConcurrentKafkaListenerContainerFactory<?, ?> factory = bootFactory(context);

			assertThat(factory.getRecordInterceptor()).isSameAs(configurer.interceptor());
			assertThat(errorHandlerOf(factory)).isInstanceOfSatisfying(DedupAwareErrorHandler.class,
					handler -> assertThat(handler.delegate()).isInstanceOf(DefaultErrorHandler.class));
			assertThat(configurer.interceptor().stats()).isSameAs(context.getBean(DedupKafkaStats.class));
			assertThat(context).doesNotHaveBean(RecordInterceptor.class).doesNotHaveBean(CommonErrorHandler.class);
		});
	}

	@Test
	void defaultIdComesFromTheDedupIdHeader() {
		this.runner.run(context -> {
			intercept(context, "grp", record("orders", 3, "k", "from-header"));

			assertThat(probe(context, "dedup:kafka:grp:from-header")).isEqualTo(ClaimOutcome.IN_PROGRESS);
			intercept(context, "grp", record("orders", 4, "k", null)); // releases the previous claim
			assertThat(probe(context, "dedup:kafka:grp:offset%3Aorders-0-4")).isEqualTo(ClaimOutcome.IN_PROGRESS);
		});
	}

	@Test
	void legacyKeyLayoutKeepsTheKafkaKeysDedupWroteBeforeTheKinds() {
		this.runner.withPropertyValues("dedup.kafka.key-layout=legacy").run(context -> {
			context.getBean(DedupStore.class).claim("dedup:grp:seen-before", "old-version", Duration.ofMinutes(1));

			assertThatExceptionOfType(DedupRetryLaterException.class)
				.as("an id claimed under the old layout is still recognised")
				.isThrownBy(() -> intercept(context, "grp", record("orders", 3, "k", "seen-before")));
			intercept(context, "grp", record("orders", 4, "k", null));
			assertThat(probe(context, "dedup:grp:offset:orders-0-4")).isEqualTo(ClaimOutcome.IN_PROGRESS);
		});
	}

	@Test
	void uniqueUserRecordInterceptorIsComposedNotDisplaced() {
		this.runner.withUserConfiguration(UserInterceptorConfiguration.class).run(context -> {
			DedupKafkaConfigurer configurer = context.getBean(DedupKafkaConfigurer.class);
			RecordInterceptor<?, ?> installed = bootFactory(context).getRecordInterceptor();

			assertThat(installed).isInstanceOf(CompositeRecordInterceptor.class);
			assertThat(delegatesOf(installed)).containsExactly(configurer.interceptor(),
					context.getBean("userInterceptor"));
		});
	}

	@Test
	void uniqueUserErrorHandlerBecomesTheDelegate() {
		this.runner.withUserConfiguration(UserErrorHandlerConfiguration.class).run(context -> {
			CommonErrorHandler installed = errorHandlerOf(bootFactory(context));

			assertThat(installed).isInstanceOfSatisfying(DedupAwareErrorHandler.class,
					handler -> assertThat(handler.delegate()).isSameAs(context.getBean("userErrorHandler")));
		});
	}

	@Test
	void consumerFactoryShowsPollsToDedupAfterTheUsersOwnConsumerInterceptors() {
		this.runner.withUserConfiguration(RemoteLikeStoreConfiguration.class)
			.withPropertyValues("spring.kafka.consumer.properties.interceptor.classes=org.example.AuditInterceptor")
			.run(context -> {
				assertThat(context.getBean(DedupKafkaConfigurer.class).interceptor().batchesPolls()).isTrue();
				assertThat(consumerInterceptors(context)).isEqualTo(
						List.of("org.example.AuditInterceptor", PollCapturingInterceptor.class));
			});
	}

	@Test
	void batchPollsOffLeavesTheConsumerFactoryUntouched() {
		this.runner.withUserConfiguration(RemoteLikeStoreConfiguration.class)
			.withPropertyValues("dedup.kafka.batch-polls=false")
			.run(context -> {
				assertThat(context.getBean(DedupKafkaConfigurer.class).interceptor().batchesPolls()).isFalse();
				assertThat(consumerInterceptors(context)).isNull();
			});
	}

	@Test
	void offsetCommitsWaitForTheMarksByDefaultAndThePropertyTurnsItOff() {
		this.runner.withUserConfiguration(RemoteLikeStoreConfiguration.class)
			.run(context -> assertThat(context.getBean(ConsumerFactory.class).getPostProcessors())
				.anyMatch(DedupKafkaAutoConfigurationTests::holdsCommitsForMarks));
		this.runner.withUserConfiguration(RemoteLikeStoreConfiguration.class)
			.withPropertyValues("dedup.kafka.commits-wait-for-marks=false")
			.run(context -> assertThat(context.getBean(ConsumerFactory.class).getPostProcessors())
				.noneMatch(DedupKafkaAutoConfigurationTests::holdsCommitsForMarks));
	}

	/** The post-processor is internal to dedup's listener package: known here by name. */
	private static boolean holdsCommitsForMarks(Object postProcessor) {
		return postProcessor.getClass().getName().equals("dev.dedup.kafka.listener.CommitsAfterMarks");
	}

	@Test
	void markLingerReachesTheConsumerThreadsAndDefaultsToAMillisecond() {
		this.runner.withUserConfiguration(RemoteLikeStoreConfiguration.class).run(context -> assertThat(
				context.getBean(DedupKafkaConfigurer.class).interceptor().dedup().markLinger())
			.isEqualTo(Duration.ofMillis(1)));
		this.runner.withUserConfiguration(RemoteLikeStoreConfiguration.class)
			.withPropertyValues("dedup.kafka.mark-linger=5ms")
			.run(context -> assertThat(context.getBean(DedupKafkaConfigurer.class).interceptor().dedup().markLinger())
				.isEqualTo(Duration.ofMillis(5)));
	}

	@Test
	void aNegativeMarkLingerStopsStartupAndSaysWhich() {
		this.runner.withUserConfiguration(RemoteLikeStoreConfiguration.class)
			.withPropertyValues("dedup.kafka.mark-linger=-1ms")
			.run(context -> assertThat(context).getFailure()
				.rootCause()
				.hasMessageContaining("dedup.kafka.mark-linger must be zero or more"));
	}

	@Test
	void pollMarkWaitReachesTheConsumerThreadsDefaultsTo20MillisecondsAndRefusesANegativeOne() {
		this.runner.withUserConfiguration(RemoteLikeStoreConfiguration.class).run(context -> assertThat(
				context.getBean(DedupKafkaConfigurer.class).interceptor().dedup().pollMarkWait())
			.isEqualTo(Duration.ofMillis(20)));
		this.runner.withUserConfiguration(RemoteLikeStoreConfiguration.class)
			.withPropertyValues("dedup.kafka.poll-mark-wait=0")
			.run(context -> assertThat(context.getBean(DedupKafkaConfigurer.class).interceptor().dedup().pollMarkWait())
				.isZero());
		this.runner.withUserConfiguration(RemoteLikeStoreConfiguration.class)
			.withPropertyValues("dedup.kafka.poll-mark-wait=-1ms")
			.run(context -> assertThat(context).getFailure()
				.rootCause()
				.hasMessageContaining("dedup.kafka.poll-mark-wait must be zero or more"));
	}

	@Test
	void anInProcessStoreIsNeverBatched() {
		this.runner.run(context -> {
			assertThat(context.getBean(DedupKafkaConfigurer.class).interceptor().batchesPolls()).isFalse();
			assertThat(consumerInterceptors(context)).isNull();
		});
	}

	private static @Nullable Object consumerInterceptors(AssertableApplicationContext context) {
		return context.getBean(ConsumerFactory.class).getConfigurationProperties()
			.get(ConsumerConfig.INTERCEPTOR_CLASSES_CONFIG);
	}

	@Test
	void disabledLeavesTheFactoryUntouched() {
		this.runner.withPropertyValues("dedup.kafka.enabled=false").run(context -> {
			assertThat(context).hasNotFailed().doesNotHaveBean(DedupKafkaConfigurer.class);
			ConcurrentKafkaListenerContainerFactory<?, ?> factory = bootFactory(context);

			assertThat(factory.getRecordInterceptor()).isNull();
			assertThat(errorHandlerOf(factory)).isNull();
		});
	}

	@Test
	void disabledKeepsTheUsersOwnInterceptorAndHandlerAsTheyAre() {
		this.runner.withPropertyValues("dedup.kafka.enabled=false")
			.withUserConfiguration(UserInterceptorConfiguration.class, UserErrorHandlerConfiguration.class)
			.run(context -> {
				ConcurrentKafkaListenerContainerFactory<?, ?> factory = bootFactory(context);

				assertThat(factory.getRecordInterceptor()).isSameAs(context.getBean("userInterceptor"));
				assertThat(errorHandlerOf(factory)).isSameAs(context.getBean("userErrorHandler"));
			});
	}

	@Test
	void userConfigurerBacksOffTheAutoConfiguredOne() {
		this.runner.withUserConfiguration(UserConfigurerConfiguration.class).run(context -> {
			assertThat(context).hasNotFailed().hasSingleBean(DedupKafkaConfigurer.class);
			DedupKafkaConfigurer configurer = context.getBean(DedupKafkaConfigurer.class);

			assertThat(configurer).isSameAs(context.getBean("userConfigurer"));
			assertThat(bootFactory(context).getRecordInterceptor()).isSameAs(configurer.interceptor());
			assertThat(((DedupAwareErrorHandler) errorHandlerOf(bootFactory(context))).delegate())
				.isInstanceOf(CommonLoggingErrorHandler.class);
		});
	}

	@Test
	void userMessageIdResolverIsUsed() {
		this.runner.withUserConfiguration(UserResolverConfiguration.class).run(context -> {
			intercept(context, "grp", record("orders", 5, "k", "ignored-header"));

			assertThat(probe(context, "dedup:kafka:grp:custom-5")).isEqualTo(ClaimOutcome.IN_PROGRESS);
			assertThat(probe(context, "dedup:kafka:grp:ignored-header")).isEqualTo(ClaimOutcome.ACQUIRED);
		});
	}

	@Test
	void idSourceKeyUsesTheRecordKey() {
		this.runner.withPropertyValues("dedup.kafka.id-source=key").run(context -> {
			intercept(context, "grp", record("orders", 5, "the-key", "the-header"));

			assertThat(probe(context, "dedup:kafka:grp:the-key")).isEqualTo(ClaimOutcome.IN_PROGRESS);
		});
	}

	@Test
	void idHeaderNamesTheHeader() {
		this.runner.withPropertyValues("dedup.kafka.id-header=event-id").run(context -> {
			ConsumerRecord<Object, Object> record = record("orders", 5, "k", "dedup-id-value");
			record.headers().add(new RecordHeader("event-id", "evt-1".getBytes(StandardCharsets.UTF_8)));
			intercept(context, "grp", record);

			assertThat(probe(context, "dedup:kafka:grp:evt-1")).isEqualTo(ClaimOutcome.IN_PROGRESS);
		});
	}

	@Test
	void idExpressionAloneSelectsTheExpressionSource() {
		this.runner.withPropertyValues("dedup.kafka.id-expression=topic + '/' + key").run(context -> {
			intercept(context, "grp", record("orders", 5, "k-1", "h"));

			assertThat(probe(context, "dedup:kafka:grp:orders/k-1")).isEqualTo(ClaimOutcome.IN_PROGRESS);
		});
	}

	@Test
	void expressionSourceWithoutAnExpressionFailsAtStartup() {
		this.runner.withPropertyValues("dedup.kafka.id-source=expression").run(context -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure())
				.rootCause()
				.hasMessageContaining("dedup.kafka.id-source=expression needs dedup.kafka.id-expression");
		});
	}

	@Test
	void invalidIdExpressionFailsAtStartupNamingIt() {
		this.runner.withPropertyValues("dedup.kafka.id-expression=header('x'").run(context -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("header('x'");
		});
	}

	@Test
	void propertiesSetTheDefaults() {
		this.runner
			.withPropertyValues("dedup.kafka.missing-id=reject", "dedup.kafka.on-in-progress=skip",
					"dedup.kafka.lease=2s", "dedup.key-prefix=app")
			.run(context -> {
				DedupKafkaProperties properties = context.getBean(DedupKafkaProperties.class);
				assertThat(properties.getLease()).isEqualTo(Duration.ofSeconds(2));
				DedupStore store = context.getBean(DedupStore.class);
				store.claim("app:kafka:grp:busy", "other-owner", Duration.ofMinutes(1));

				assertThat(intercept(context, "grp", record("orders", 1, "k", "busy"))).isNull(); // skip
				assertThatExceptionOfType(IllegalArgumentException.class)
					.isThrownBy(() -> intercept(context, "grp", record("orders", 2, "k", null)))
					.withMessageContaining("missing-id=reject");
			});
	}

	@Test
	void malformedDeduplicateLeaseFailsAtStartupNamingTheMethod() {
		this.runner.withUserConfiguration(BananaLeaseListener.class).run(context -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).hasMessageContaining("BananaLeaseListener.onOrder")
				.hasMessageContaining("banana");
		});
	}

	@Test
	void twoDeduplicateListenersOnOneTopicWithoutGroupIdFailAtStartup() {
		this.runner.withUserConfiguration(FirstOrdersListener.class, SecondOrdersListener.class).run(context -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause()
				.hasMessageContaining("FirstOrdersListener.onOrder")
				.hasMessageContaining("SecondOrdersListener.onOrder")
				.hasMessageContaining("groupId");
		});
	}

	@Test
	void twoDeduplicateListenersOnOneTopicInDistinctGroupsGetTheirOwnSettings() {
		this.runner.withUserConfiguration(BillingListener.class, ShippingListener.class).run(context -> {
			assertThat(context).hasNotFailed();
			ConsumerRecord<Object, Object> record = record("orders", 1, "k", "h");
			record.headers().add(new RecordHeader("billing-id", "b-1".getBytes(StandardCharsets.UTF_8)));
			record.headers().add(new RecordHeader("shipping-id", "s-1".getBytes(StandardCharsets.UTF_8)));

			process(context, "billing", record);
			process(context, "shipping", record);
			process(context, "other", record);

			assertThat(probe(context, "dedup:kafka:billing:b-1")).isEqualTo(ClaimOutcome.DUPLICATE);
			assertThat(probe(context, "dedup:kafka:shipping:s-1")).isEqualTo(ClaimOutcome.DUPLICATE);
			assertThat(probe(context, "dedup:kafka:other:h")).isEqualTo(ClaimOutcome.DUPLICATE);
			assertThat(probe(context, "dedup:kafka:billing:h")).isEqualTo(ClaimOutcome.ACQUIRED);
		});
	}

	@Test
	void deduplicateOverridesApplyToItsListener() {
		this.runner.withUserConfiguration(BillingListener.class).run(context -> {
			DedupStore store = context.getBean(DedupStore.class);
			store.claim("dedup:kafka:billing:busy", "other-owner", Duration.ofMinutes(1));
			ConsumerRecord<Object, Object> record = record("orders", 1, "k", "h");
			record.headers().add(new RecordHeader("billing-id", "busy".getBytes(StandardCharsets.UTF_8)));

			// BillingListener says onInProgress = SKIP where the default is RETRY
			assertThat(intercept(context, "billing", record)).isNull();
			store.claim("dedup:kafka:plain:busy", "other-owner", Duration.ofMinutes(1));
			assertThatExceptionOfType(DedupRetryLaterException.class)
				.isThrownBy(() -> intercept(context, "plain", record("orders", 2, "k", "busy")));
		});
	}

	@Test
	void userFactoryConfiguredTwiceIsConfiguredOnce() {
		this.runner.withUserConfiguration(SecondFactoryConfiguration.class).run(context -> {
			DedupKafkaConfigurer configurer = context.getBean(DedupKafkaConfigurer.class);
			ConcurrentKafkaListenerContainerFactory<?, ?> factory = context.getBean("ordersFactory",
					ConcurrentKafkaListenerContainerFactory.class);

			RecordInterceptor<?, ?> installed = factory.getRecordInterceptor();
			assertThat(installed).isInstanceOf(CompositeRecordInterceptor.class);
			assertThat(delegatesOf(installed)).containsExactly(configurer.interceptor(),
					SecondFactoryConfiguration.USER_INTERCEPTOR);
			assertThat(errorHandlerOf(factory)).isInstanceOfSatisfying(DedupAwareErrorHandler.class,
					handler -> assertThat(handler.delegate()).isSameAs(SecondFactoryConfiguration.USER_HANDLER));
			// Boot's own factory is still configured too, and only once
			assertThat(bootFactory(context).getRecordInterceptor()).isSameAs(configurer.interceptor());
		});
	}

	@Test
	@SuppressWarnings("deprecation")
	void missingIdUnprotectedBindsAndItsOldNameSkipStillDoes() {
		this.runner.withPropertyValues("dedup.kafka.missing-id=unprotected")
			.run(context -> assertThat(context.getBean(DedupKafkaProperties.class).getMissingId())
				.isEqualTo(MissingIdPolicy.UNPROTECTED));
		this.runner.withPropertyValues("dedup.kafka.missing-id=skip")
			.run(context -> assertThat(context.getBean(DedupKafkaProperties.class).getMissingId().canonical())
				.isEqualTo(MissingIdPolicy.UNPROTECTED));
	}

	@Test
	void statsAreExposedAsMeters() {
		this.runner.run(context -> {
			SimpleMeterRegistry registry = new SimpleMeterRegistry();
			context.getBean("dedupKafkaMeterBinder", MeterBinder.class).bindTo(registry);
			intercept(context, "grp", record("orders", 1, "k", "m-1"));
			intercept(context, "other", record("orders", 1, "k", "m-1"));
			intercept(context, "other", record("orders", 2, "k", "m-2"));

			assertThat(registry.get("dedup.kafka.records").tag("event", "acquired").tag("group", "grp")
				.functionCounter().count()).isEqualTo(1.0);
			assertThat(registry.get("dedup.kafka.records").tag("event", "acquired").tag("group", "other")
				.functionCounter().count()).isEqualTo(2.0);
			assertThat(registry.get("dedup.kafka.records").tag("group", "grp").functionCounters())
				.hasSize(DedupKafkaStats.Event.values().length);
		});
	}

	@Test
	void configurationMetadataListsTheKafkaProperties() throws Exception {
		File classes = new File(DedupKafkaProperties.class.getProtectionDomain().getCodeSource().getLocation().toURI());
		Path metadata = classes.toPath().resolve("META-INF/spring-configuration-metadata.json");
		assertThat(metadata).exists();
		String json = Files.readString(metadata);

		List<String> names = JsonPath.read(json, "$.properties[*].name");
		assertThat(names).contains("dedup.kafka.enabled", "dedup.kafka.id-source", "dedup.kafka.id-header",
				"dedup.kafka.id-expression", "dedup.kafka.missing-id", "dedup.kafka.lease", "dedup.kafka.retention",
				"dedup.kafka.on-in-progress", "dedup.kafka.batch-polls", "dedup.kafka.mark-linger",
				"dedup.kafka.poll-mark-wait", "dedup.kafka.commits-wait-for-marks");
		List<Object> undescribed = JsonPath.read(json,
				"$.properties[?(@.name =~ /dedup\\.kafka\\..*/ && !(@.description))].name");
		assertThat(undescribed).isEmpty();
		assertThat(JsonPath.<List<Object>>read(json, "$.properties[?(@.name == 'dedup.kafka.id-header')].defaultValue"))
			.containsExactly("dedup-id");
		assertThat(JsonPath.<List<Object>>read(json, "$.properties[?(@.name == 'dedup.kafka.enabled')].defaultValue"))
			.containsExactly(true);
	}

	private @Nullable ConsumerRecord<Object, Object> intercept(
			AssertableApplicationContext context, String group, ConsumerRecord<Object, Object> record) {
		DedupRecordInterceptor<Object, Object> interceptor = context.getBean(DedupKafkaConfigurer.class)
			.interceptor();
		KafkaUtils.setConsumerGroupId(group);
		try {
			return interceptor.intercept(record, this.consumer);
		}
		finally {
			KafkaUtils.clearConsumerGroupId();
		}
	}

	private void process(AssertableApplicationContext context, String group, ConsumerRecord<Object, Object> record) {
		DedupRecordInterceptor<Object, Object> interceptor = context.getBean(DedupKafkaConfigurer.class)
			.interceptor();
		KafkaUtils.setConsumerGroupId(group);
		try {
			assertThat(interceptor.intercept(record, this.consumer)).isSameAs(record);
			interceptor.success(record, this.consumer);
		}
		finally {
			KafkaUtils.clearConsumerGroupId();
		}
	}

	private static ClaimOutcome probe(AssertableApplicationContext context, String key) {
		return context.getBean(DedupStore.class).claim(key, "probe-" + System.nanoTime(), Duration.ofMinutes(1))
			.outcome();
	}

	private static ConsumerRecord<Object, Object> record(String topic, long offset, Object key,
			@Nullable String dedupId) {
		RecordHeaders headers = new RecordHeaders();
		if (dedupId != null) {
			headers.add(new RecordHeader("dedup-id", dedupId.getBytes(StandardCharsets.UTF_8)));
		}
		return new ConsumerRecord<>(topic, 0, offset, 0L, TimestampType.CREATE_TIME, -1, -1, key, "value", headers,
				Optional.empty());
	}

	private static ConcurrentKafkaListenerContainerFactory<?, ?> bootFactory(AssertableApplicationContext context) {
		return context.getBean(BOOT_FACTORY, ConcurrentKafkaListenerContainerFactory.class);
	}

	private static CommonErrorHandler errorHandlerOf(AbstractKafkaListenerContainerFactory<?, ?, ?> factory) {
		return (CommonErrorHandler) new DirectFieldAccessor(factory).getPropertyValue("commonErrorHandler");
	}

	@SuppressWarnings("unchecked")
	private static Collection<Object> delegatesOf(RecordInterceptor<?, ?> composite) {
		return (Collection<Object>) new DirectFieldAccessor(composite).getPropertyValue("delegates");
	}

	/** The in-memory store, posing as one behind a network, for which dedup batches polls. */
	@Configuration(proxyBeanMethods = false)
	static class RemoteLikeStoreConfiguration {

		@Bean
		DedupStore remoteLikeStore() {
			InMemoryDedupStore store = new InMemoryDedupStore();
			return new DedupStore() {

				@Override
				public ClaimResult claim(String key, String owner, Duration lease) {
					return store.claim(key, owner, lease);
				}

				@Override
				public boolean complete(String key, String owner, Duration retention, byte @Nullable [] result) {
					return store.complete(key, owner, retention, result);
				}

				@Override
				public boolean release(String key, String owner) {
					return store.release(key, owner);
				}

				@Override
				public boolean renew(String key, String owner, Duration lease) {
					return store.renew(key, owner, lease);
				}

				@Override
				public Optional<StoredEntry> inspect(String key) {
					return store.inspect(key);
				}

			};
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserInterceptorConfiguration {

		@Bean
		RecordInterceptor<Object, Object> userInterceptor() {
			return (record, consumer) -> record;
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserErrorHandlerConfiguration {

		@Bean
		CommonErrorHandler userErrorHandler() {
			return new CommonLoggingErrorHandler();
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserConfigurerConfiguration {

		@Bean
		DedupKafkaConfigurer userConfigurer(DedupEngine engine, DedupKeys keys) {
			ListenerDedupSettings settings = new ListenerDedupSettings(new RecordKeyMessageIdResolver(),
					MissingIdPolicy.OFFSET, Duration.ofSeconds(10), Duration.ofDays(1), InProgressPolicy.RETRY);
			DedupRecordInterceptor<Object, Object> interceptor = new DedupRecordInterceptor<>(engine, keys,
					ListenerSettingsResolver.fixed(settings), new DedupKafkaStats());
			return new DedupKafkaConfigurer(interceptor, CommonLoggingErrorHandler::new);
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserResolverConfiguration {

		@Bean
		MessageIdResolver customIdResolver() {
			return record -> "custom-" + record.offset();
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class SecondFactoryConfiguration {

		static final RecordInterceptor<Object, Object> USER_INTERCEPTOR = (record, consumer) -> record;

		static final CommonErrorHandler USER_HANDLER = new CommonLoggingErrorHandler();

		@Bean
		ConcurrentKafkaListenerContainerFactory<Object, Object> ordersFactory(ConsumerFactory<Object, Object> cf,
				DedupKafkaConfigurer dedup) {
			ConcurrentKafkaListenerContainerFactory<Object, Object> factory = new ConcurrentKafkaListenerContainerFactory<>();
			factory.setConsumerFactory(cf);
			factory.setRecordInterceptor(USER_INTERCEPTOR);
			factory.setCommonErrorHandler(USER_HANDLER);
			dedup.configure(factory);
			dedup.configure(factory);
			return factory;
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class BananaLeaseListener {

		@KafkaListener(topics = "orders", groupId = "g", autoStartup = "false")
		@Deduplicate(lease = "banana")
		void onOrder(String order) {
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class FirstOrdersListener {

		@KafkaListener(topics = "orders", autoStartup = "false")
		@Deduplicate(id = "key")
		void onOrder(String order) {
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class SecondOrdersListener {

		@KafkaListener(topics = "orders", autoStartup = "false")
		@Deduplicate(lease = "1m")
		void onOrder(String order) {
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class BillingListener {

		@KafkaListener(topics = "orders", groupId = "billing", autoStartup = "false")
		@Deduplicate(id = "header('billing-id')", onInProgress = Deduplicate.OnInProgress.SKIP)
		void onOrder(String order) {
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class ShippingListener {

		@KafkaListener(topics = "orders", groupId = "shipping", autoStartup = "false")
		@Deduplicate(id = "header('shipping-id')")
		void onOrder(String order) {
		}

	}

}
