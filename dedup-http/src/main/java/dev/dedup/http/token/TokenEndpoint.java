package dev.dedup.http.token;

import jakarta.servlet.http.HttpServletRequest;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.http.CacheControl;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import dev.dedup.core.engine.StoreFailurePolicy;
import dev.dedup.core.store.DedupStoreException;
import dev.dedup.http.DuplicateSubmitFilter;
import dev.dedup.http.ProblemResponses;
import dev.dedup.http.ProtectedEndpoints;
import dev.dedup.http.SubmitProblem;
import dev.dedup.http.identity.DedupIdentityResolver;

/**
 * {@code POST /dedup/tokens?operation=…} (path: {@code dedup.http.token.endpoint.path}) issues a one-time
 * token for a TOKEN-protected operation: 201 with {@code {"token", "operation", "expiresInSeconds"}}, or
 * 409 while a token for the same identity and operation is outstanding.
 */
@RestController
public class TokenEndpoint {

	/** Placeholder of the endpoint path, resolved by Spring MVC. */
	public static final String PATH = "${dedup.http.token.endpoint.path:/dedup/tokens}";

	private static final Logger log = LoggerFactory.getLogger(TokenEndpoint.class);

	private final SubmitTokens tokens;

	private final ProtectedEndpoints endpoints;

	private final DedupIdentityResolver identityResolver;

	private final boolean identityRequired;

	private final StoreFailurePolicy storeFailurePolicy;

	public TokenEndpoint(SubmitTokens tokens, ProtectedEndpoints endpoints, DedupIdentityResolver identityResolver,
			boolean identityRequired, StoreFailurePolicy storeFailurePolicy) {
		this.tokens = tokens;
		this.endpoints = endpoints;
		this.identityResolver = identityResolver;
		this.identityRequired = identityRequired;
		this.storeFailurePolicy = storeFailurePolicy;
	}

	@PostMapping(PATH)
	public ResponseEntity<?> issue(@RequestParam(name = "operation", required = false) @Nullable String operation,
			HttpServletRequest request) {
		String identity = this.identityResolver.resolve(request);
		if (identity == null) {
			if (this.identityRequired) {
				return problem(SubmitProblem.IDENTITY_REQUIRED, "Tokens are issued per client; authenticate first.",
						null);
			}
			identity = DuplicateSubmitFilter.ANONYMOUS;
		}
		if (operation == null || operation.isEmpty() || !this.endpoints.isTokenOperation(operation)) {
			return problem(SubmitProblem.TOKEN_OPERATION_UNKNOWN, "Parameter 'operation' must name a TOKEN-protected "
					+ "operation (its route template, e.g. /orders, or its explicit operation name).", null);
		}
		SubmitTokens.Issue issue;
		try {
			issue = this.tokens.issue(identity, operation);
		}
		catch (DedupStoreException ex) {
			if (this.storeFailurePolicy != StoreFailurePolicy.FAIL_OPEN) {
				return problem(SubmitProblem.STORE_UNAVAILABLE, "The submit-token store cannot be reached; try again "
						+ "shortly.", 1L);
			}
			// Fail-open: the protected request passes unchecked while the store is down, so any token will do.
			log.warn("Dedup store unavailable, issuing an unstored token for '{}' (fail-open): {}", operation,
					ex.getMessage());
			issue = new SubmitTokens.Issue.Issued(SubmitTokens.unstoredToken(), this.tokens.ttl());
		}
		if (issue instanceof SubmitTokens.Issue.Outstanding outstanding) {
			return problem(SubmitProblem.TOKEN_OUTSTANDING, "A token for this operation was issued and not used yet; "
					+ "submit with it, or wait until it expires.",
					ProblemResponses.retryAfterSeconds(outstanding.remaining()));
		}
		SubmitTokens.Issue.Issued issued = (SubmitTokens.Issue.Issued) issue;
		return ResponseEntity.status(HttpStatus.CREATED)
			.cacheControl(CacheControl.noStore())
			.body(new IssuedToken(issued.token(), operation, issued.ttl().toSeconds()));
	}

	/** The 201 body. */
	public record IssuedToken(String token, String operation, long expiresInSeconds) {
	}

	private static ResponseEntity<ProblemDetail> problem(SubmitProblem type, String detail, @Nullable Long retryAfter) {
		ResponseEntity.BodyBuilder response = ResponseEntity.status(type.status()).cacheControl(CacheControl.noStore());
		if (retryAfter != null) {
			response.header("Retry-After", retryAfter.toString());
		}
		return response.body(type.detail(detail));
	}

}
