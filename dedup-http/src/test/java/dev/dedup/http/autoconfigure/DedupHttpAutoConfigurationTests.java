package dev.dedup.http.autoconfigure;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import com.jayway.jsonpath.JsonPath;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.http.converter.autoconfigure.HttpMessageConvertersAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.boot.webmvc.autoconfigure.DispatcherServletAutoConfiguration;
import org.springframework.boot.webmvc.autoconfigure.WebMvcAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

import dev.dedup.core.autoconfigure.DedupAutoConfiguration;
import dev.dedup.http.DuplicateSubmitFilter;
import dev.dedup.http.PreventDuplicateSubmit;
import dev.dedup.http.PreventDuplicateSubmit.Strategy;
import dev.dedup.http.ProtectedEndpoints;
import dev.dedup.http.identity.DedupIdentityResolver;
import dev.dedup.http.identity.HeaderIdentityResolver;
import dev.dedup.http.identity.PrincipalIdentityResolver;
import dev.dedup.http.idempotency.IdempotencyGuard;
import dev.dedup.http.lock.LockGuard;
import dev.dedup.http.token.SubmitTokens;
import dev.dedup.http.token.TokenEndpoint;
import dev.dedup.http.token.TokenGuard;

import static org.assertj.core.api.Assertions.assertThat;

class DedupHttpAutoConfigurationTests {

	private final WebApplicationContextRunner web = new WebApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(DedupAutoConfiguration.class, DedupHttpAutoConfiguration.class))
		.withPropertyValues("dedup.store=memory");

	@Test
	void aServletWebAppGetsTheFilterTheGuardsAndTheTokenEndpoint() {
		this.web.run(context -> {
			assertThat(context).hasSingleBean(LockGuard.class)
				.hasSingleBean(TokenGuard.class)
				.hasSingleBean(IdempotencyGuard.class)
				.hasSingleBean(SubmitTokens.class)
				.hasSingleBean(TokenEndpoint.class)
				.hasSingleBean(ProtectedEndpoints.class)
				.hasBean(DedupHttpAutoConfiguration.FILTER_BEAN_NAME);
			assertThat(context.getBean(DedupIdentityResolver.class)).isInstanceOf(PrincipalIdentityResolver.class);
			FilterRegistrationBean<?> filter = context.getBean(DedupHttpAutoConfiguration.FILTER_BEAN_NAME,
					FilterRegistrationBean.class);
			assertThat(filter.getFilter()).isInstanceOf(DuplicateSubmitFilter.class);
			assertThat(filter.getOrder()).as("after Spring Security's -100").isZero();
		});
	}

	@Test
	void aNonWebAppGetsNothing() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DedupAutoConfiguration.class, DedupHttpAutoConfiguration.class))
			.withPropertyValues("dedup.store=memory")
			.run(context -> assertThat(context).doesNotHaveBean(LockGuard.class)
				.doesNotHaveBean(TokenEndpoint.class)
				.doesNotHaveBean(DedupHttpAutoConfiguration.FILTER_BEAN_NAME));
	}

	@Test
	void dedupHttpEnabledFalseTurnsItAllOff() {
		this.web.withPropertyValues("dedup.http.enabled=false")
			.run(context -> assertThat(context).doesNotHaveBean(LockGuard.class)
				.doesNotHaveBean(DedupHttpAutoConfiguration.FILTER_BEAN_NAME));
	}

	@Test
	void theTokenEndpointCanBeTurnedOffWhileTokenProtectionStays() {
		this.web.withPropertyValues("dedup.http.token.endpoint.enabled=false")
			.run(context -> assertThat(context).doesNotHaveBean(TokenEndpoint.class)
				.hasSingleBean(TokenGuard.class)
				.hasSingleBean(SubmitTokens.class));
	}

	@Test
	void theHeaderResolverIsUsedOnlyWhenItsHeaderIsConfigured() {
		this.web.withPropertyValues("dedup.http.identity.header=X-User").run(context -> {
			DedupIdentityResolver resolver = context.getBean(DedupIdentityResolver.class);
			assertThat(resolver).isInstanceOf(HeaderIdentityResolver.class);
			assertThat(((HeaderIdentityResolver) resolver).header()).isEqualTo("X-User");
		});
	}

	@Test
	void backsOffFromTheUsersBeans() {
		this.web.withUserConfiguration(UserBeans.class).run(context -> {
			assertThat(context.getBean(DedupIdentityResolver.class)).isSameAs(UserBeans.RESOLVER);
			assertThat(context.getBean(SubmitTokens.class)).isSameAs(context.getBean("userTokens"));
			assertThat(context.getBean(DedupHttpAutoConfiguration.FILTER_BEAN_NAME))
				.isSameAs(context.getBean(UserBeans.class).filter);
			assertThat(context).hasSingleBean(TokenEndpoint.class);
		});
	}

	@Test
	void propertiesReachTheBeans() {
		this.web.withPropertyValues("dedup.http.filter-order=5", "dedup.http.token.ttl=2m",
				"dedup.http.token.on-outstanding=replace", "dedup.http.lock.lease=7s").run(context -> {
					assertThat(context.getBean(DedupHttpAutoConfiguration.FILTER_BEAN_NAME, FilterRegistrationBean.class)
						.getOrder()).isEqualTo(5);
					assertThat(context.getBean(SubmitTokens.class).ttl()).isEqualTo(Duration.ofMinutes(2));
					DedupHttpProperties properties = context.getBean(DedupHttpProperties.class);
					assertThat(properties.getLock().getLease()).isEqualTo(Duration.ofSeconds(7));
					assertThat(properties.getToken().getOnOutstanding())
						.isEqualTo(DedupHttpProperties.OnOutstanding.REPLACE);
					assertThat(properties.getIdempotency().getReplayHeaders()).containsExactly("Content-Type",
							"Location", "ETag");
				});
	}

	@Test
	void aMalformedAnnotationFailsTheStartup() {
		this.web
			.withConfiguration(AutoConfigurations.of(DispatcherServletAutoConfiguration.class,
					WebMvcAutoConfiguration.class, HttpMessageConvertersAutoConfiguration.class))
			.withUserConfiguration(MalformedController.class)
			.run(context -> assertThat(context).hasFailed()
				.getFailure()
				.hasStackTraceContaining("MalformedController#submit")
				.hasStackTraceContaining("lease 'soon' is not a duration"));
	}

	@Test
	void aKeyOnAnotherStrategyThanLockFailsTheStartup() {
		this.web
			.withConfiguration(AutoConfigurations.of(DispatcherServletAutoConfiguration.class,
					WebMvcAutoConfiguration.class, HttpMessageConvertersAutoConfiguration.class))
			.withUserConfiguration(KeyOnTokenController.class)
			.run(context -> assertThat(context).hasFailed()
				.getFailure()
				.hasStackTraceContaining("key applies to LOCK only"));
	}

	@Test
	void configurationMetadataListsTheHttpProperties() throws Exception {
		File classes = new File(DedupHttpProperties.class.getProtectionDomain().getCodeSource().getLocation().toURI());
		String json = Files.readString(classes.toPath().resolve(Path.of("META-INF", "spring-configuration-metadata.json")));
		List<String> names = JsonPath.read(json, "$.properties[*].name");
		assertThat(names).contains("dedup.http.enabled", "dedup.http.filter-order", "dedup.http.identity.header",
				"dedup.http.identity.required", "dedup.http.lock.lease", "dedup.http.lock.hold-after-success",
				"dedup.http.token.header", "dedup.http.token.ttl", "dedup.http.token.used-retention",
				"dedup.http.token.on-outstanding", "dedup.http.token.endpoint.enabled",
				"dedup.http.token.endpoint.path", "dedup.http.idempotency.header",
				"dedup.http.idempotency.key-required", "dedup.http.idempotency.retention",
				"dedup.http.idempotency.lease", "dedup.http.idempotency.replay-headers");
		List<Object> undescribed = JsonPath.read(json,
				"$.properties[?(@.name =~ /dedup\\.http\\..*/ && !(@.description))].name");
		assertThat(undescribed).isEmpty();
	}

	@Configuration(proxyBeanMethods = false)
	static class UserBeans {

		static final DedupIdentityResolver RESOLVER = request -> "always-alice";

		final FilterRegistrationBean<?> filter = new FilterRegistrationBean<>();

		@Bean
		DedupIdentityResolver userResolver() {
			return RESOLVER;
		}

		@Bean
		SubmitTokens userTokens(dev.dedup.core.engine.DedupEngine engine) {
			return new SubmitTokens(engine, new dev.dedup.core.key.DedupKeys("mine", 512), Duration.ofMinutes(1),
					Duration.ofMinutes(1), false);
		}

		@Bean(DedupHttpAutoConfiguration.FILTER_BEAN_NAME)
		FilterRegistrationBean<?> userFilter() {
			return this.filter;
		}

	}

	@RestController
	static class MalformedController {

		@PostMapping("/submit")
		@PreventDuplicateSubmit(lease = "soon")
		String submit() {
			return "ok";
		}

	}

	@RestController
	static class KeyOnTokenController {

		@PostMapping("/submit")
		@PreventDuplicateSubmit(strategy = Strategy.TOKEN, key = "#p0")
		String submit() {
			return "ok";
		}

	}

}
