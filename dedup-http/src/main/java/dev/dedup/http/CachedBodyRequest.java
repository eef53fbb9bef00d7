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
 * parses them into parameters: reading them here would leave {@code @RequestParam} empty (the container
 * bounds those: Tomcat's {@code max-http-form-post-size}, multipart's {@code max-request-size}).
 * <p>
 * The body read is bounded: a request that declares or sends more than the limit is refused with
 * {@link TooLargeException} after at most limit + 1 bytes were read, so a client cannot exhaust the heap.
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

	/**
	 * @param maxBodySize the most bytes read into memory
	 * @throws TooLargeException if the body declares (Content-Length) or turns out to have more
	 */
	public static CachedBodyRequest of(HttpServletRequest request, long maxBodySize) throws IOException {
		if (isForm(request)) {
			return new CachedBodyRequest(request, NO_BODY, true);
		}
		long declared = request.getContentLengthLong();
		if (declared > maxBodySize) {
			throw new TooLargeException(maxBodySize);
		}
		int limit = (int) Math.min(maxBodySize, Integer.MAX_VALUE - 16);
		byte[] body = request.getInputStream().readNBytes(limit + 1);
		if (body.length > limit) {
			throw new TooLargeException(maxBodySize);
		}
		return new CachedBodyRequest(request, body, false);
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

	/** The body is over the limit; nothing more of it was read. */
	public static final class TooLargeException extends IOException {

		private final long limit;

		TooLargeException(long limit) {
			super("The request body is larger than " + limit + " bytes");
			this.limit = limit;
		}

		public long limit() {
			return this.limit;
		}

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
