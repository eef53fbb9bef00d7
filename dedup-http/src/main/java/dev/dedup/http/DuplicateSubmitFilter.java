package dev.dedup.http;

import java.io.IOException;
import java.util.EnumMap;
import java.util.Map;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.http.HttpHeaders;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.HandlerMapping;

import dev.dedup.http.PreventDuplicateSubmit.Strategy;
import dev.dedup.http.identity.DedupIdentityResolver;

/**
 * Enforces {@link PreventDuplicateSubmit}. A filter rather than a handler interceptor because the
 * strategies need what only a filter can do: hand the handler a request whose body was read (and hashed)
 * already, and capture or replace the whole response. Requests to unprotected handlers pass straight
 * through after one handler lookup.
 *
 * <p>Runs after Spring Security's filter chain (by order), so the principal is known.
 */
public class DuplicateSubmitFilter extends OncePerRequestFilter {

	/** The identity scope of anonymous requests, when identity is optional. */
	public static final String ANONYMOUS = "-";

	private final HandlerLookup lookup;

	private final ProtectedEndpoints endpoints;

	private final DedupIdentityResolver identityResolver;

	private final boolean identityRequired;

	private final Map<Strategy, SubmitGuard> guards;

	private final ProblemResponses problems;

	private final long maxBodySize;

	private final HttpDecisions decisions;

	/**
	 * @param maxBodySize the most bytes of a (non-form) body read into memory for keys and fingerprints; a
	 * larger body gets 413 and the handler does not run
	 * @param decisions where each protected request's outcome is counted
	 */
	public DuplicateSubmitFilter(HandlerLookup lookup, ProtectedEndpoints endpoints,
			DedupIdentityResolver identityResolver, boolean identityRequired, Map<Strategy, SubmitGuard> guards,
			ProblemResponses problems, long maxBodySize, HttpDecisions decisions) {
		this.decisions = decisions;
		this.lookup = lookup;
		this.endpoints = endpoints;
		this.identityResolver = identityResolver;
		this.identityRequired = identityRequired;
		this.guards = new EnumMap<>(guards);
		this.problems = problems;
		if (maxBodySize < 0) {
			throw new IllegalArgumentException("The maximum body size must not be negative, was " + maxBodySize);
		}
		this.maxBodySize = maxBodySize;
		for (Strategy strategy : Strategy.values()) {
			if (!this.guards.containsKey(strategy)) {
				throw new IllegalArgumentException("No guard for strategy " + strategy);
			}
		}
	}

	@Override
	protected boolean shouldNotFilter(HttpServletRequest request) {
		return !this.endpoints.anyProtected();
	}

	@Override
	protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
			throws ServletException, IOException {
		HandlerMethod handler = this.lookup.handlerFor(request);
		EndpointSettings settings = (handler != null) ? this.endpoints.settingsFor(handler) : null;
		if (handler == null || settings == null) {
			chain.doFilter(request, response);
			return;
		}
		String identity = this.identityResolver.resolve(request);
		if (identity == null) {
			if (this.identityRequired) {
				this.problems.write(request, response, SubmitProblem.IDENTITY_REQUIRED,
						"This endpoint is protected against duplicate submits per client; authenticate first.", null);
				this.decisions.record(settings.strategy(), outcome(request));
				return;
			}
			identity = ANONYMOUS;
		}
		String operation = (settings.operation() != null) ? settings.operation() : routeTemplate(request);
		CachedBodyRequest body;
		try {
			body = CachedBodyRequest.of(request, this.maxBodySize);
		}
		catch (CachedBodyRequest.TooLargeException ex) {
			// The rest of the body stays unread: the container closes the connection rather than drain it all.
			response.setHeader(HttpHeaders.CONNECTION, "close");
			this.problems.write(request, response, SubmitProblem.BODY_TOO_LARGE, "This endpoint is protected "
					+ "against duplicate submits, which reads the body into memory; send at most " + ex.limit()
					+ " bytes.", null);
			this.decisions.record(settings.strategy(), outcome(request));
			return;
		}
		SubmitRequest submit = new SubmitRequest(body, handler, settings, identity, operation,
				pathVariables(request));
		this.guards.get(settings.strategy()).guard(submit, response, chain);
		this.decisions.record(settings.strategy(), outcome(request));
	}

	/** What the guard did: the problem it answered with, a replay, or else the handler ran. */
	private static String outcome(HttpServletRequest request) {
		Object named = request.getAttribute(HttpDecisions.OUTCOME_ATTRIBUTE);
		return (named != null) ? named.toString() : "ran";
	}

	private static String routeTemplate(HttpServletRequest request) {
		Object pattern = request.getAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE);
		return (pattern != null) ? pattern.toString() : request.getRequestURI();
	}

	@SuppressWarnings("unchecked")
	private static Map<String, String> pathVariables(HttpServletRequest request) {
		Object variables = request.getAttribute(HandlerMapping.URI_TEMPLATE_VARIABLES_ATTRIBUTE);
		return (variables instanceof Map<?, ?> map) ? (Map<String, String>) map : Map.of();
	}

}
