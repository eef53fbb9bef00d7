package dev.dedup.http.idempotency;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletResponse;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.http.HttpHeaders;

import dev.dedup.core.engine.Claim;
import dev.dedup.core.engine.DedupEngine;
import dev.dedup.core.engine.StoreFailurePolicy;
import dev.dedup.core.key.DedupKeys;
import dev.dedup.core.key.KeyKind;
import dev.dedup.core.store.DedupStoreException;
import dev.dedup.http.CachedBodyRequest;
import dev.dedup.http.HttpDecisions;
import dev.dedup.http.ProblemResponses;
import dev.dedup.http.RequestDigests;
import dev.dedup.http.SubmitGuard;
import dev.dedup.http.SubmitProblem;
import dev.dedup.http.SubmitRequest;

/**
 * IDEMPOTENCY_KEY (draft-ietf-httpapi-idempotency-key-header): the first request with a key runs; its
 * status, allow-listed headers and body are stored as the CONSUMED result for the retention period, and a
 * retry with the same key and the same request gets that response again, marked
 * {@code Idempotent-Replayed: true}. Scope: identity, method, operation (route) and key.
 * <ul>
 * <li>same key while the first runs → 409; same key, other method/path/query/body → 422;</li>
 * <li>a 5xx, an exception or a container error page releases the key, so the client may retry;</li>
 * <li>{@code Set-Cookie} is never stored, whatever the allow-list says.</li>
 * </ul>
 */
public final class IdempotencyGuard implements SubmitGuard {

	private static final Logger log = LoggerFactory.getLogger(IdempotencyGuard.class);

	/** Marks a replayed response. */
	public static final String REPLAYED_HEADER = "Idempotent-Replayed";

	static final KeyKind KIND = KeyKind.IDEMPOTENCY;

	private final DedupEngine engine;

	private final DedupKeys keys;

	private final ProblemResponses problems;

	private final String header;

	private final boolean keyRequired;

	private final List<String> replayHeaders;

	/**
	 * @param header the request header carrying the key, usually {@code Idempotency-Key}
	 * @param keyRequired whether a request without the header gets 400 (else it runs unprotected)
	 * @param replayHeaders response headers stored and replayed; {@code Set-Cookie} is dropped
	 */
	public IdempotencyGuard(DedupEngine engine, DedupKeys keys, ProblemResponses problems, String header,
			boolean keyRequired, List<String> replayHeaders) {
		this.engine = engine;
		this.keys = keys;
		this.problems = problems;
		this.header = header;
		this.keyRequired = keyRequired;
		this.replayHeaders = replayHeaders.stream()
			.filter(name -> !name.equalsIgnoreCase(HttpHeaders.SET_COOKIE)
					&& !name.equalsIgnoreCase(HttpHeaders.SET_COOKIE + "2"))
			.toList();
	}

	@Override
	public void guard(SubmitRequest submit, HttpServletResponse response, FilterChain chain)
			throws IOException, ServletException {
		CachedBodyRequest request = submit.request();
		List<String> values = Collections.list(request.getHeaders(this.header));
		if (values.isEmpty()) {
			if (this.keyRequired) {
				this.problems.write(request, response, SubmitProblem.IDEMPOTENCY_KEY_MISSING,
						"Send an " + this.header + " header naming this request, and the same one on every retry.",
						null);
			}
			else {
				chain.doFilter(request, response);
			}
			return;
		}
		String key = (values.size() == 1) ? IdempotencyKeyHeader.parse(values.get(0)) : null;
		if (key == null) {
			this.problems.write(request, response, SubmitProblem.IDEMPOTENCY_KEY_MALFORMED, "The " + this.header
					+ " header must be one value of 1 to 255 printable ASCII characters, bare or quoted.", null);
			return;
		}
		byte[] fingerprint = RequestDigests.fingerprint(request);
		String storeKey = this.keys.key(KIND, submit.identity(), request.getMethod() + " " + submit.operation(), key);
		Claim claim;
		try {
			claim = this.engine.claim(storeKey, submit.settings().lease());
		}
		catch (DedupStoreException ex) {
			this.problems.write(request, response, SubmitProblem.STORE_UNAVAILABLE,
					"The idempotency store cannot be reached; retry with the same key shortly.",
					StoreFailurePolicy.RETRY_AFTER);
			return;
		}
		switch (claim.status()) {
			case BYPASSED -> {
				request.setAttribute(HttpDecisions.OUTCOME_ATTRIBUTE, HttpDecisions.RAN_UNPROTECTED);
				chain.doFilter(request, response);
			}
			case IN_PROGRESS -> this.problems.write(request, response, SubmitProblem.IDEMPOTENCY_KEY_IN_FLIGHT,
					"A request with this key is being processed; retry with the same key later.",
					claim.remainingLease());
			case DUPLICATE -> replay(submit, response, StoredResponse.fromBytes(claim.storedResult()), fingerprint);
			case ACQUIRED -> runAndStore(claim, submit, response, chain, fingerprint);
		}
	}

	private void replay(SubmitRequest submit, HttpServletResponse response, @Nullable StoredResponse stored,
			byte[] fingerprint)
			throws IOException {
		if (stored == null || !stored.matches(fingerprint)) {
			this.problems.write(submit.request(), response, SubmitProblem.IDEMPOTENCY_KEY_REUSED,
					"This key was used for a different request; use a new key for a new request.", null);
			return;
		}
		response.setStatus(stored.status());
		for (StoredResponse.Header header : stored.headers()) {
			if (header.name().equalsIgnoreCase(HttpHeaders.CONTENT_TYPE)) {
				response.setContentType(header.value());
			}
			else {
				response.addHeader(header.name(), header.value());
			}
		}
		response.setHeader(REPLAYED_HEADER, "true");
		submit.request().setAttribute(HttpDecisions.OUTCOME_ATTRIBUTE, "replayed");
		response.setContentLength(stored.body().length);
		response.getOutputStream().write(stored.body());
		response.flushBuffer();
	}

	private void runAndStore(Claim claim, SubmitRequest submit, HttpServletResponse response, FilterChain chain,
			byte[] fingerprint) throws IOException, ServletException {
		CapturingResponse captured = new CapturingResponse(response);
		try {
			chain.doFilter(submit.request(), captured);
		}
		catch (IOException | ServletException | RuntimeException | Error ex) {
			claim.release(); // the client may retry with the same key
			throw ex;
		}
		if (submit.request().isAsyncStarted()) {
			log.warn("{} started async processing; IDEMPOTENCY_KEY protects synchronous handlers only, so its "
					+ "response is not stored and the key is released", submit.handler());
			claim.release();
		}
		else if (captured.getStatus() >= 500 || captured.isErrorSent()) {
			claim.release();
		}
		else {
			store(claim, submit, captured, fingerprint);
		}
		captured.copyBodyToResponse();
	}

	private void store(Claim claim, SubmitRequest submit, CapturingResponse captured, byte[] fingerprint) {
		StoredResponse stored = new StoredResponse(fingerprint, captured.getStatus(), headersOf(captured),
				captured.getContentAsByteArray());
		try {
			// Before the client sees the response: a retry right after it must find the result, not 409.
			if (!claim.complete(submit.settings().retention(), stored.toBytes())) {
				log.warn("Idempotency key '{}' was taken over while its request ran; the response is not stored",
						claim.key());
			}
		}
		catch (DedupStoreException ex) {
			log.error("Could not store the response for idempotency key '{}'; a retry runs again once its lease "
					+ "expires: {}", claim.key(), ex.getMessage());
		}
	}

	private List<StoredResponse.Header> headersOf(CapturingResponse response) {
		List<StoredResponse.Header> headers = new ArrayList<>();
		for (String name : this.replayHeaders) {
			if (name.equalsIgnoreCase(HttpHeaders.CONTENT_TYPE)) {
				String type = response.getContentType();
				if (type != null) {
					headers.add(new StoredResponse.Header(HttpHeaders.CONTENT_TYPE, type));
				}
				continue;
			}
			for (String value : response.getHeaders(name)) {
				headers.add(new StoredResponse.Header(canonicalName(name), value));
			}
		}
		return headers;
	}

	private static String canonicalName(String name) {
		return name.toLowerCase(Locale.ROOT).equals("etag") ? HttpHeaders.ETAG : name;
	}

}
