package dev.dedup.http;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;

/**
 * A request whose body was read up front, so dedup can hash it and the handler can still read it (each
 * {@link #getInputStream()} starts again at the first byte). Form bodies are left to the container, which
 * parses them into parameters: reading them here would leave {@code @RequestParam} empty.
 */
public final class CachedBodyRequest extends HttpServletRequestWrapper {

	private static final byte[] NO_BODY = new byte[0];

	private final byte[] body;

	private final boolean form;

	private CachedBodyRequest(HttpServletRequest request, byte[] body, boolean form) {
		super(request);
		this.body = body;
		this.form = form;
	}

	public static CachedBodyRequest of(HttpServletRequest request) throws IOException {
		if (isForm(request)) {
			return new CachedBodyRequest(request, NO_BODY, true);
		}
		return new CachedBodyRequest(request, request.getInputStream().readAllBytes(), false);
	}

	/** The raw body; empty for form content, whose fields are in the parameters. */
	public byte[] body() {
		return this.body;
	}

	/** Whether the body is form content, carried by {@link #getParameterMap()}. */
	public boolean isForm() {
		return this.form;
	}

	@Override
	public ServletInputStream getInputStream() throws IOException {
		return this.form ? super.getInputStream() : new BodyStream(this.body);
	}

	@Override
	public BufferedReader getReader() throws IOException {
		if (this.form) {
			return super.getReader();
		}
		String encoding = getCharacterEncoding();
		Charset charset = (encoding != null) ? Charset.forName(encoding) : StandardCharsets.ISO_8859_1;
		return new BufferedReader(new InputStreamReader(new ByteArrayInputStream(this.body), charset));
	}

	private static boolean isForm(HttpServletRequest request) {
		String type = request.getContentType();
		if (type == null) {
			return false;
		}
		String lower = type.toLowerCase(Locale.ROOT);
		return lower.startsWith("application/x-www-form-urlencoded") || lower.startsWith("multipart/");
	}

	private static final class BodyStream extends ServletInputStream {

		private final ByteArrayInputStream in;

		BodyStream(byte[] body) {
			this.in = new ByteArrayInputStream(body);
		}

		@Override
		public int read() {
			return this.in.read();
		}

		@Override
		public int read(byte[] buffer, int offset, int length) {
			return this.in.read(buffer, offset, length);
		}

		@Override
		public boolean isFinished() {
			return this.in.available() == 0;
		}

		@Override
		public boolean isReady() {
			return true;
		}

		@Override
		public void setReadListener(ReadListener listener) {
			throw new UnsupportedOperationException("The body was read already; it is served from memory");
		}

	}

}
