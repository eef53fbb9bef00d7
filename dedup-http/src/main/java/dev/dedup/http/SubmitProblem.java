package dev.dedup.http;

import java.net.URI;
import java.util.Locale;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;

/**
 * Every answer dedup gives instead of running a handler, as an RFC 9457 problem type. Each case has its own
 * {@code type} ({@code urn:dedup:problem:<name>}), so clients can tell them apart without parsing text.
 */
public enum SubmitProblem {

	/** No identity where one is needed. */
	IDENTITY_REQUIRED(HttpStatus.UNAUTHORIZED, "Identity required"),

	/** LOCK: the same submit is running right now. */
	LOCK_HELD(HttpStatus.CONFLICT, "Submit in progress"),

	/** LOCK: the same submit succeeded a moment ago (hold-after-success). */
	RECENTLY_SUBMITTED(HttpStatus.CONFLICT, "Submitted recently"),

	/** TOKEN: no {@code Submit-Token} header. */
	TOKEN_MISSING(HttpStatus.BAD_REQUEST, "Submit token missing"),

	/** TOKEN: the header is not a token this server issues. */
	TOKEN_MALFORMED(HttpStatus.BAD_REQUEST, "Submit token malformed"),

	/** TOKEN: not issued to this identity for this operation, or expired. */
	TOKEN_UNKNOWN(HttpStatus.BAD_REQUEST, "Submit token unknown or expired"),

	/** TOKEN: the token was used already. */
	TOKEN_USED(HttpStatus.CONFLICT, "Duplicate operation"),

	/** Token endpoint: a token for this identity and operation is still outstanding. */
	TOKEN_OUTSTANDING(HttpStatus.CONFLICT, "Operation in progress"),

	/** Token endpoint: no TOKEN-protected operation has this name. */
	TOKEN_OPERATION_UNKNOWN(HttpStatus.BAD_REQUEST, "Unknown operation"),

	/** IDEMPOTENCY_KEY: no {@code Idempotency-Key} header, and the endpoint requires one. */
	IDEMPOTENCY_KEY_MISSING(HttpStatus.BAD_REQUEST, "Idempotency key missing"),

	/** IDEMPOTENCY_KEY: the header is not 1–255 printable characters (bare or quoted). */
	IDEMPOTENCY_KEY_MALFORMED(HttpStatus.BAD_REQUEST, "Idempotency key malformed"),

	/** IDEMPOTENCY_KEY: a request with this key is being processed. */
	IDEMPOTENCY_KEY_IN_FLIGHT(HttpStatus.CONFLICT, "Request with this idempotency key in progress"),

	/** IDEMPOTENCY_KEY: the key was used for a different request (method, path, query or body). */
	IDEMPOTENCY_KEY_REUSED(HttpStatus.UNPROCESSABLE_CONTENT, "Idempotency key reused with another payload"),

	/** The body is larger than dedup reads into memory to fingerprint it ({@code dedup.http.max-body-size}). */
	BODY_TOO_LARGE(HttpStatus.CONTENT_TOO_LARGE, "Request body too large"),

	/** The store cannot be reached and the policy is fail-closed. */
	STORE_UNAVAILABLE(HttpStatus.SERVICE_UNAVAILABLE, "Duplicate protection unavailable");

	/** Prefix of every problem type URI. */
	public static final String TYPE_PREFIX = "urn:dedup:problem:";

	private final HttpStatus status;

	private final String title;

	private final URI type;

	SubmitProblem(HttpStatus status, String title) {
		this.status = status;
		this.title = title;
		this.type = URI.create(TYPE_PREFIX + name().toLowerCase(Locale.ROOT).replace('_', '-'));
	}

	public HttpStatus status() {
		return this.status;
	}

	public URI type() {
		return this.type;
	}

	public String title() {
		return this.title;
	}

	/** A fresh problem detail of this type. */
	public ProblemDetail detail(String detail) {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(this.status, detail);
		problem.setType(this.type);
		problem.setTitle(this.title);
		return problem;
	}

}
