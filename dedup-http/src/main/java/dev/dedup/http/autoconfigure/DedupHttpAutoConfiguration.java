package dev.dedup.http.autoconfigure;

import java.util.Locale;
import java.util.Map;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.StringUtils;
import org.springframework.util.function.SingletonSupplier;
import org.springframework.web.servlet.DispatcherServlet;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerAdapter;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;

import dev.dedup.core.autoconfigure.DedupAutoConfiguration;
import dev.dedup.core.engine.DedupEngine;
import dev.dedup.core.key.DedupKeys;
import dev.dedup.http.DuplicateSubmitFilter;
import dev.dedup.http.EndpointDefaults;
import dev.dedup.http.HandlerLookup;
import dev.dedup.http.HttpDecisions;
import dev.dedup.http.HttpEndpointKeys;
import dev.dedup.http.PreventDuplicateSubmit.Strategy;
import dev.dedup.http.ProblemResponses;
import dev.dedup.http.ProtectedEndpoints;
import dev.dedup.http.identity.DedupIdentityResolver;
import dev.dedup.http.identity.HeaderIdentityResolver;
import dev.dedup.http.identity.PrincipalIdentityResolver;
import dev.dedup.http.idempotency.IdempotencyGuard;
import dev.dedup.http.lock.ArgumentKeyEvaluator;
import dev.dedup.http.lock.LockGuard;
import dev.dedup.http.token.SubmitTokens;
import dev.dedup.http.token.TokenEndpoint;
import dev.dedup.http.token.TokenGuard;

/**
 * Enforces {@code @PreventDuplicateSubmit} in servlet web applications: a filter (after Spring Security's)
 * and, unless turned off, the token endpoint. Every bean backs off when the application defines its own.
 */
@AutoConfiguration(after = DedupAutoConfiguration.class,
		afterName = "org.springframework.boot.webmvc.autoconfigure.WebMvcAutoConfiguration")
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass(DispatcherServlet.class)
@ConditionalOnBean(DedupEngine.class)
@ConditionalOnProperty(name = "dedup.http.enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(DedupHttpProperties.class)
public class DedupHttpAutoConfiguration {

	/** Name of the filter's registration bean; define a bean with this name to replace it. */
	public static final String FILTER_BEAN_NAME = "dedupDuplicateSubmitFilter";

	@Bean
	@ConditionalOnMissingBean
	DedupIdentityResolver dedupIdentityResolver(DedupHttpProperties properties) {
		String header = properties.getIdentity().getHeader();
		return StringUtils.hasText(header) ? new HeaderIdentityResolver(header.trim())
				: new PrincipalIdentityResolver();
	}

	/** Lets the {@code dedup} Actuator endpoint name {@code idem} and {@code lock} keys. */
	@Bean
	HttpEndpointKeys dedupHttpEndpointKeys(DedupKeys keys) {
		return new HttpEndpointKeys(keys);
	}

	@Bean
	@ConditionalOnMissingBean
	ProblemResponses dedupProblemResponses() {
		return new ProblemResponses();
	}

	@Bean
	@ConditionalOnMissingBean
	HandlerLookup dedupHandlerLookup(ObjectProvider<RequestMappingHandlerMapping> mappings) {
		return new HandlerLookup(mappings);
	}

	@Bean
	@ConditionalOnMissingBean
	ProtectedEndpoints dedupProtectedEndpoints(HandlerLookup lookup, DedupHttpProperties properties) {
		return new ProtectedEndpoints(lookup, new EndpointDefaults(properties.getLock().getLease(),
				properties.getLock().getHoldAfterSuccess(), properties.getIdempotency().getLease(),
				properties.getIdempotency().getRetention()));
	}

	/** Fails at startup, not at the first request, when a @PreventDuplicateSubmit is malformed. */
	@Bean
	static SmartInitializingSingleton dedupHttpAnnotationValidator(ObjectProvider<ProtectedEndpoints> endpoints) {
		return () -> endpoints.ifAvailable(ProtectedEndpoints::validate);
	}

	@Bean
	@ConditionalOnMissingBean
	SubmitTokens dedupSubmitTokens(DedupEngine engine, DedupKeys keys, DedupHttpProperties properties) {
		DedupHttpProperties.Token token = properties.getToken();
		// Through the engine: the same deadline, circuit breaker and store-failure policy as every other strategy.
		return new SubmitTokens(engine, keys, token.getTtl(), token.getUsedRetention(),
				token.getOnOutstanding() == DedupHttpProperties.OnOutstanding.REPLACE);
	}

	@Bean
	@ConditionalOnMissingBean
	LockGuard dedupLockGuard(DedupEngine engine, DedupKeys keys, ProblemResponses problems,
			ObjectProvider<RequestMappingHandlerAdapter> adapter) {
		return new LockGuard(engine, keys, new ArgumentKeyEvaluator(adapter), problems);
	}

	@Bean
	@ConditionalOnMissingBean
	TokenGuard dedupTokenGuard(SubmitTokens tokens, ProblemResponses problems, DedupHttpProperties properties) {
		return new TokenGuard(tokens, problems, properties.getToken().getHeader());
	}

	@Bean
	@ConditionalOnMissingBean
	IdempotencyGuard dedupIdempotencyGuard(DedupEngine engine, DedupKeys keys, ProblemResponses problems,
			DedupHttpProperties properties) {
		DedupHttpProperties.Idempotency idempotency = properties.getIdempotency();
		return new IdempotencyGuard(engine, keys, problems, idempotency.getHeader(), idempotency.isKeyRequired(),
				idempotency.getReplayHeaders());
	}

	@Bean(FILTER_BEAN_NAME)
	@ConditionalOnMissingBean(name = FILTER_BEAN_NAME)
	FilterRegistrationBean<DuplicateSubmitFilter> dedupDuplicateSubmitFilter(HandlerLookup lookup,
			ProtectedEndpoints endpoints, DedupIdentityResolver identityResolver, LockGuard lock, TokenGuard token,
			IdempotencyGuard idempotency, ProblemResponses problems, DedupHttpProperties properties,
			ObjectProvider<HttpDecisions> decisions) {
		DuplicateSubmitFilter filter = new DuplicateSubmitFilter(lookup, endpoints, identityResolver,
				properties.getIdentity().isRequired(),
				Map.of(Strategy.LOCK, lock, Strategy.TOKEN, token, Strategy.IDEMPOTENCY_KEY, idempotency), problems,
				properties.getMaxBodySize().toBytes(), decisions.getIfAvailable(() -> HttpDecisions.NONE));
		FilterRegistrationBean<DuplicateSubmitFilter> registration = new FilterRegistrationBean<>(filter);
		registration.setOrder(properties.getFilterOrder());
		return registration;
	}

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnProperty(name = "dedup.http.token.endpoint.enabled", havingValue = "true", matchIfMissing = true)
	TokenEndpoint dedupTokenEndpoint(SubmitTokens tokens, ProtectedEndpoints endpoints,
			DedupIdentityResolver identityResolver, DedupHttpProperties properties) {
		return new TokenEndpoint(tokens, endpoints, identityResolver, properties.getIdentity().isRequired());
	}

	/** {@code dedup.http.requests{strategy, outcome}}: how each protected request went (see {@link HttpDecisions}). */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(name = "io.micrometer.core.instrument.MeterRegistry")
	static class HttpMetersConfiguration {

		/** The registry is looked up at the first request: Boot's metrics auto-configuration may come later. */
		@Bean
		@ConditionalOnMissingBean(HttpDecisions.class)
		HttpDecisions dedupHttpDecisions(ObjectProvider<MeterRegistry> registries) {
			SingletonSupplier<MeterRegistry> registry = SingletonSupplier.ofNullable(registries::getIfAvailable);
			return (strategy, outcome) -> {
				MeterRegistry meters = registry.get();
				if (meters != null) {
					Counter.builder("dedup.http.requests")
						.description("Requests to dedup-protected endpoints, by strategy and outcome")
						.tag("strategy", strategy.name().toLowerCase(Locale.ROOT).replace('_', '-'))
						.tag("outcome", outcome)
						.register(meters)
						.increment();
				}
			};
		}

	}

}
