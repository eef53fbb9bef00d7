package dev.dedup.http.token;

import java.io.IOException;
import java.util.Collections;
import java.util.List;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.dedup.core.engine.StoreFailurePolicy;
import dev.dedup.core.store.DedupStoreException;
import dev.dedup.http.HttpDecisions;
import dev.dedup.http.ProblemResponses;
import dev.dedup.http.SubmitGuard;
import dev.dedup.http.SubmitProblem;
import dev.dedup.http.SubmitRequest;

/**
 * TOKEN: the request must carry a one-time token ({@code Submit-Token}) issued to the same identity for the
 * same operation; it is consumed atomically before the handler runs. A token stays used even when the
 * handler fails: the client fetches a new one for the next attempt. While the store is down, the engine's
 * store-failure policy decides through {@link SubmitTokens}: 503, or (fail-open) the request runs unchecked.
 */
public final class TokenGuard implements SubmitGuard {

	private static final Logger log = LoggerFactory.getLogger(TokenGuard.class);

	private final SubmitTokens tokens;

	private final ProblemResponses problems;

	private final String header;

	public TokenGuard(SubmitTokens tokens, ProblemResponses problems, String header) {
		this.tokens = tokens;
		this.problems = problems;
		this.header = header;
	}

	@Override
	public void guard(SubmitRequest submit, HttpServletResponse response, FilterChain chain)
			throws IOException, ServletException {
		List<String> values = Collections.list(submit.request().getHeaders(this.header));
		if (values.isEmpty()) {
			this.problems.write(submit.request(), response, SubmitProblem.TOKEN_MISSING, "Send the " + this.header
					+ " header with a token for operation '" + submit.operation() + "' from the token endpoint.", null);
			return;
		}
		String token = values.get(0).trim();
		if (values.size() > 1 || !SubmitTokens.isWellFormed(token)) {
			this.problems.write(submit.request(), response, SubmitProblem.TOKEN_MALFORMED,
					"The " + this.header + " header is not a token issued by this server; fetch a new token.", null);
			return;
		}
		SubmitTokens.Consumption consumption;
		try {
			consumption = this.tokens.consume(submit.identity(), submit.operation(), token);
		}
		catch (DedupStoreException ex) {
			// The engine is fail-closed (a fail-open one answers BYPASSED).
			this.problems.write(submit.request(), response, SubmitProblem.STORE_UNAVAILABLE,
					"The submit-token store cannot be reached; try again shortly.",
					StoreFailurePolicy.RETRY_AFTER);
			return;
		}
		switch (consumption) {
			case CONSUMED -> chain.doFilter(submit.request(), response);
			case USED -> this.problems.write(submit.request(), response, SubmitProblem.TOKEN_USED,
					"This token was used already: the operation was submitted before.", null);
			case UNKNOWN -> this.problems.write(submit.request(), response, SubmitProblem.TOKEN_UNKNOWN,
					"This token is unknown or expired for this operation; fetch a new token.", null);
			case BYPASSED -> {
				log.warn("Dedup store unavailable, accepting submit token for '{}' unchecked (fail-open)",
						submit.operation());
				submit.request().setAttribute(HttpDecisions.OUTCOME_ATTRIBUTE, HttpDecisions.RAN_UNPROTECTED);
				chain.doFilter(submit.request(), response);
			}
		}
	}

}
