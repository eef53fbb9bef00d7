package dev.dedup.samples;

import java.util.Map;

import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * Starts a real KRaft broker inside this JVM when no {@code spring.kafka.bootstrap-servers} is configured,
 * and points Boot at it; the broker stops with the context.
 */
class EmbeddedKafkaInitializer implements ApplicationContextInitializer<ConfigurableApplicationContext> {

	static final String BOOTSTRAP_SERVERS = "spring.kafka.bootstrap-servers";

	@Override
	public void initialize(ConfigurableApplicationContext context) {
		ConfigurableEnvironment environment = context.getEnvironment();
		if (environment.containsProperty(BOOTSTRAP_SERVERS)) {
			return;
		}
		EmbeddedKafkaKraftBroker broker = new EmbeddedKafkaKraftBroker(1, 1);
		broker.brokerProperty("group.initial.rebalance.delay.ms", "0");
		broker.afterPropertiesSet();
		context.getBeanFactory().registerSingleton("embeddedKafkaBroker", broker);
		environment.getPropertySources()
			.addFirst(new MapPropertySource("embeddedKafka", Map.of(BOOTSTRAP_SERVERS, broker.getBrokersAsString())));
	}

}
