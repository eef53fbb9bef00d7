package dev.dedup.kafka.integration;

import java.util.Map;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/** Starts whole Boot applications inside the test JVM, each with its own properties. */
final class TestContexts {

	private TestContexts() {
	}

	static ConfigurableApplicationContext start(Map<String, Object> properties) {
		return new SpringApplicationBuilder(SharedEffectsApp.class).properties(properties).run();
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class SharedEffectsApp {

		@Bean
		SharedEffects sharedEffects() {
			return new SharedEffects();
		}

	}

}
