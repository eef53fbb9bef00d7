package dev.dedup.core.autoconfigure;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.dedup.core.actuate.DedupEndpoint;
import dev.dedup.core.actuate.DedupHealthIndicator;
import dev.dedup.core.actuate.EndpointKeys;
import dev.dedup.core.engine.DedupEngine;
import dev.dedup.core.key.DedupKeys;

/**
 * With Spring Boot Actuator on the class path: the {@code dedup} health indicator
 * ({@code management.health.dedup.enabled}) and the {@code dedup} endpoint (available once exposed, like any
 * endpoint: {@code management.endpoints.web.exposure.include=dedup}).
 */
@AutoConfiguration(after = DedupAutoConfiguration.class)
@ConditionalOnBean(DedupEngine.class)
public class DedupActuatorAutoConfiguration {

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
	@ConditionalOnEnabledHealthIndicator("dedup")
	static class HealthConfiguration {

		/** Named {@code dedup} in {@code /actuator/health}. */
		@Bean
		@ConditionalOnMissingBean(name = "dedupHealthIndicator")
		DedupHealthIndicator dedupHealthIndicator(DedupEngine engine) {
			return new DedupHealthIndicator(engine.store());
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(name = "org.springframework.boot.actuate.endpoint.annotation.Endpoint")
	static class EndpointConfiguration {

		@Bean
		@ConditionalOnMissingBean
		@ConditionalOnAvailableEndpoint
		DedupEndpoint dedupEndpoint(DedupEngine engine, DedupKeys keys, ObjectProvider<EndpointKeys> kinds) {
			return new DedupEndpoint(engine, keys, kinds.orderedStream().toList());
		}

	}

}
