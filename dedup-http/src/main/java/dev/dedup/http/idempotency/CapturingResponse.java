package dev.dedup.http.idempotency;

import java.io.IOException;

import jakarta.servlet.http.HttpServletResponse;

import org.springframework.web.util.ContentCachingResponseWrapper;

/**
 * Buffers the handler's response so it can be stored before the client sees it, and notes whether it went
 * through {@code sendError}: such a response gets its body from the container's error page later, outside
 * this filter, so it cannot be stored.
 */
final class CapturingResponse extends ContentCachingResponseWrapper {

	private boolean errorSent;

	CapturingResponse(HttpServletResponse response) {
		super(response);
	}

	boolean isErrorSent() {
		return this.errorSent;
	}

	@Override
	public void sendError(int status) throws IOException {
		this.errorSent = true;
		super.sendError(status);
	}

	@Override
	public void sendError(int status, String message) throws IOException {
		this.errorSent = true;
		super.sendError(status, message);
	}

}
