package dev.dedup.http;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.convert.DurationStyle;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.expression.Expression;
import org.springframework.expression.ParseException;
import org.springframework.expression.spel.standard.SpelExpressionParser;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.mvc.method.RequestMappingInfo;

import dev.dedup.http.PreventDuplicateSubmit.Strategy;

/**
 * Which handlers are protected, and how: reads {@link PreventDuplicateSubmit} (method first, then class),
 * fills in the defaults and parses durations and SpEL once per handler. {@link #validate()} does that for
 * every mapped handler at startup, so a malformed annotation fails the application, not the first request.
 */
public final class ProtectedEndpoints {

	private static final SpelExpressionParser PARSER = new SpelExpressionParser();

	private final HandlerLookup lookup;

	private final EndpointDefaults defaults;

	private final Map<HandlerKey, Optional<EndpointSettings>> settings = new ConcurrentHashMap<>();

	private volatile @Nullable Set<String> tokenOperations;

	private volatile boolean anyProtected = true;

	public ProtectedEndpoints(HandlerLookup lookup, EndpointDefaults defaults) {
		this.lookup = lookup;
		this.defaults = defaults;
	}

	/** The handler's settings, or null if it is not protected. */
	public @Nullable EndpointSettings settingsFor(HandlerMethod handler) {
		HandlerKey key = new HandlerKey(handler.getBeanType(), handler.getMethod());
		// get() first: computeIfAbsent locks the bin even for a present key that is not the bin's first, and
		// every request asks (JFR showed request threads queued on it).
		Optional<EndpointSettings> known = this.settings.get(key);
		if (known == null) {
			known = this.settings.computeIfAbsent(key, k -> Optional.ofNullable(read(k.beanType(), k.method())));
		}
		return known.orElse(null);
	}

	/** False once {@link #validate()} found no protected handler at all: the filter then does nothing. */
	public boolean anyProtected() {
		return this.anyProtected;
	}

	/**
	 * Reads every mapped handler's annotation.
	 * @throws IllegalStateException naming the handler whose annotation is malformed
	 */
	public void validate() {
		boolean found = false;
		for (HandlerMethod handler : this.lookup.handlerMethods().values()) {
			found |= settingsFor(handler) != null;
		}
		this.anyProtected = found;
	}

	/** Whether a token may be issued for this operation: some TOKEN handler has it as its operation. */
	public boolean isTokenOperation(String operation) {
		Set<String> operations = this.tokenOperations;
		if (operations == null) {
			operations = new TreeSet<>();
			for (Map.Entry<RequestMappingInfo, HandlerMethod> entry : this.lookup.handlerMethods().entrySet()) {
				EndpointSettings endpoint = settingsFor(entry.getValue());
				if (endpoint != null && endpoint.strategy() == Strategy.TOKEN) {
					if (endpoint.operation() != null) {
						operations.add(endpoint.operation());
					}
					else {
						operations.addAll(entry.getKey().getPatternValues());
					}
				}
			}
			this.tokenOperations = operations;
		}
		return operations.contains(operation);
	}

	private @Nullable EndpointSettings read(Class<?> beanType, Method method) {
		PreventDuplicateSubmit annotation = AnnotatedElementUtils.findMergedAnnotation(method,
				PreventDuplicateSubmit.class);
		if (annotation == null) {
			annotation = AnnotatedElementUtils.findMergedAnnotation(beanType, PreventDuplicateSubmit.class);
		}
		if (annotation == null) {
			return null;
		}
		String where = beanType.getName() + "#" + method.getName();
		Strategy strategy = annotation.strategy();
		Expression key = null;
		if (!annotation.key().isBlank()) {
			if (strategy != Strategy.LOCK) {
				throw new IllegalStateException("@PreventDuplicateSubmit on " + where + ": key applies to LOCK only; "
						+ strategy + " keys requests by " + (strategy == Strategy.TOKEN ? "the token" : "the header"));
			}
			try {
				key = PARSER.parseExpression(annotation.key());
			}
			catch (ParseException ex) {
				throw new IllegalStateException("@PreventDuplicateSubmit on " + where + ": key '" + annotation.key()
						+ "' is not valid SpEL: " + ex.getMessage(), ex);
			}
		}
		String operation = annotation.operation().isBlank() ? null : annotation.operation();
		Duration defaultLease = (strategy == Strategy.IDEMPOTENCY_KEY) ? this.defaults.idempotencyLease()
				: this.defaults.lockLease();
		Duration lease = duration(where, "lease", annotation.lease(), defaultLease, false);
		Duration hold = duration(where, "holdAfterSuccess", annotation.holdAfterSuccess(),
				this.defaults.holdAfterSuccess(), true);
		Duration retention = duration(where, "retention", annotation.retention(),
				this.defaults.idempotencyRetention(), false);
		return new EndpointSettings(strategy, operation, key, lease, hold, retention);
	}

	private static Duration duration(String where, String attribute, String value, Duration fallback,
			boolean zeroAllowed) {
		if (value.isBlank()) {
			return fallback;
		}
		Duration parsed;
		try {
			parsed = DurationStyle.detectAndParse(value.trim());
		}
		catch (IllegalArgumentException ex) {
			throw new IllegalStateException("@PreventDuplicateSubmit on " + where + ": " + attribute + " '" + value
					+ "' is not a duration (45s, 2m, 24h, PT45S)", ex);
		}
		if (parsed.isNegative() || (!zeroAllowed && parsed.toMillis() < 1)) {
			throw new IllegalStateException("@PreventDuplicateSubmit on " + where + ": " + attribute + " must be "
					+ (zeroAllowed ? "zero or positive" : "at least 1ms") + ", was " + value);
		}
		return parsed;
	}

	private record HandlerKey(Class<?> beanType, Method method) {
	}

}
