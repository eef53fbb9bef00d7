package dev.dedup.http.token;

import jakarta.servlet.http.HttpServletRequest;
import org.jspecify.annotations.Nullable;

import org.springframework.http.CacheControl;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

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

	private final SubmitTokens tokens;

	private final ProtectedEndpoints endpoints;

	private final DedupIdentityResolver identityResolver;

	private final boolean identityRequired;

	public TokenEndpoint(SubmitTokens tokens, ProtectedEndpoints endpoints, DedupIdentityResolver identityResolver,
			boolean identityRequired) {
		this.tokens = tokens;
		this.endpoints = endpoints;
		this.identityResolver = identityResolver;
		this.identityRequired = identityRequired;
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
			// The engine is fail-closed (a fail-open one has SubmitTokens hand out an unstored token).
			return problem(SubmitProblem.STORE_UNAVAILABLE, "The submit-token store cannot be reached; try again "
					+ "shortly.", 1L);
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
