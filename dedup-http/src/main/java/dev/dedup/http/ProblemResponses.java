package dev.dedup.http;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.jspecify.annotations.Nullable;

import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.converter.json.JacksonJsonHttpMessageConverter;
import org.springframework.http.server.ServletServerHttpResponse;

/**
 * Writes {@link SubmitProblem}s as {@code application/problem+json} straight from the filter, through
 * Spring's {@link ProblemDetail} and its Jackson converter (which applies Spring's ProblemDetail mix-in, so
 * extra properties appear at the top level as RFC 9457 wants).
 */
public final class ProblemResponses {

	private final JacksonJsonHttpMessageConverter converter = new JacksonJsonHttpMessageConverter();

	/**
	 * @param retryAfter when set, a {@code Retry-After} header in whole seconds (at least 1)
	 */
	public void write(HttpServletRequest request, HttpServletResponse response, SubmitProblem problem, String detail,
			@Nullable Duration retryAfter) throws IOException {
		request.setAttribute(HttpDecisions.OUTCOME_ATTRIBUTE, problem.type().toString().substring(SubmitProblem.TYPE_PREFIX.length()));
		write(request, response, problem.detail(detail), retryAfter);
	}

	public void write(HttpServletRequest request, HttpServletResponse response, ProblemDetail problem,
			@Nullable Duration retryAfter) throws IOException {
		problem.setInstance(instance(request));
		response.setStatus(problem.getStatus());
		if (retryAfter != null) {
			response.setHeader(HttpHeaders.RETRY_AFTER, Long.toString(retryAfterSeconds(retryAfter)));
		}
		// A refusal says nothing about the resource: nobody may cache it.
		response.setHeader(HttpHeaders.CACHE_CONTROL, "no-store");
		ServletServerHttpResponse out = new ServletServerHttpResponse(response);
		this.converter.write(problem, MediaType.APPLICATION_PROBLEM_JSON, out);
		out.flush();
	}

	/** Whole seconds, rounded up, at least 1: {@code Retry-After: 0} would invite a busy loop. */
	public static long retryAfterSeconds(Duration wait) {
		long millis = Math.max(0, wait.toMillis());
		return Math.max(1, (millis + 999) / 1000);
	}

	private static @Nullable URI instance(HttpServletRequest request) {
		try {
			return URI.create(request.getRequestURI());
		}
		catch (IllegalArgumentException ex) {
			return null;
		}
	}

}
