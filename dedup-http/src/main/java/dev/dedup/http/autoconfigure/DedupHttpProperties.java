package dev.dedup.http.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * HTTP submit protection ({@code dedup.http.*}). {@code @PreventDuplicateSubmit} attributes override the
 * durations per endpoint.
 * <p>
 * One class with a nested class per strategy, like Boot's own {@code *Properties}: the binding and the
 * configuration metadata read it as one tree. Its length is Javadoc, getters and setters.
 */
@ConfigurationProperties("dedup.http")
public class DedupHttpProperties {

	/**
	 * Whether to enforce @PreventDuplicateSubmit.
	 */
	private boolean enabled = true;

	/**
	 * Order of the dedup servlet filter. Keep it after Spring Security's filter chain (-100), so the
	 * authenticated principal is known.
	 */
	private int filterOrder = 0;

	/**
	 * Largest request body dedup reads into memory for lock keys and idempotency fingerprints, on protected
	 * endpoints only; a larger one gets 413 and the handler does not run. Form and multipart bodies are parsed
	 * by the servlet container under its own limits.
	 */
	private DataSize maxBodySize = DataSize.ofMegabytes(1);

	private final Identity identity = new Identity();

	private final Lock lock = new Lock();

	private final Token token = new Token();

	private final Idempotency idempotency = new Idempotency();

	public boolean isEnabled() {
		return this.enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	public int getFilterOrder() {
		return this.filterOrder;
	}

	public void setFilterOrder(int filterOrder) {
		this.filterOrder = filterOrder;
	}

	public DataSize getMaxBodySize() {
		return this.maxBodySize;
	}

	public void setMaxBodySize(DataSize maxBodySize) {
		if (maxBodySize.isNegative()) {
			throw new IllegalArgumentException("dedup.http.max-body-size must not be negative, was " + maxBodySize);
		}
		this.maxBodySize = maxBodySize;
	}

	public Identity getIdentity() {
		return this.identity;
	}

	public Lock getLock() {
		return this.lock;
	}

	public Token getToken() {
		return this.token;
	}

	public Idempotency getIdempotency() {
		return this.idempotency;
	}

	/** Who is submitting. */
	public static class Identity {

		/**
		 * Request header to take the identity from, as sent by the client. For demos, or behind a gateway
		 * that sets it; unset (the default) uses the authenticated principal. A DedupIdentityResolver bean
		 * overrides both.
		 */
		private @Nullable String header;

		/**
		 * Whether a protected request without identity is refused with 401. If false, such requests share
		 * one anonymous scope.
		 */
		private boolean required = true;

		public @Nullable String getHeader() {
			return this.header;
		}

		public void setHeader(@Nullable String header) {
			this.header = header;
		}

		public boolean isRequired() {
			return this.required;
		}

		public void setRequired(boolean required) {
			this.required = required;
		}

	}

	/** The LOCK strategy. */
	public static class Lock {

		/**
		 * How long a lock holds if this instance dies while the handler runs; renewed every third of it.
		 */
		private Duration lease = Duration.ofSeconds(30);

		/**
		 * How long the same submit stays refused after a success (a cooldown); 0 for none.
		 */
		private Duration holdAfterSuccess = Duration.ZERO;

		public Duration getLease() {
			return this.lease;
		}

		public void setLease(Duration lease) {
			this.lease = lease;
		}

		public Duration getHoldAfterSuccess() {
			return this.holdAfterSuccess;
		}

		public void setHoldAfterSuccess(Duration holdAfterSuccess) {
			this.holdAfterSuccess = holdAfterSuccess;
		}

	}

	/** The TOKEN strategy. */
	public static class Token {

		/**
		 * Request header carrying the one-time token.
		 */
		private String header = "Submit-Token";

		/**
		 * How long an issued token stays valid.
		 */
		private Duration ttl = Duration.ofMinutes(10);

		/**
		 * How long a used token is remembered, so that a resubmit gets 409 "duplicate operation" rather than
		 * 400 "unknown or expired".
		 */
		private Duration usedRetention = Duration.ofMinutes(10);

		/**
		 * What a token request does while a token for the same identity and operation is outstanding:
		 * 'reject' answers 409, 'replace' revokes the old token and issues a new one.
		 */
		private OnOutstanding onOutstanding = OnOutstanding.REJECT;

		private final Endpoint endpoint = new Endpoint();

		public String getHeader() {
			return this.header;
		}

		public void setHeader(String header) {
			this.header = header;
		}

		public Duration getTtl() {
			return this.ttl;
		}

		public void setTtl(Duration ttl) {
			this.ttl = ttl;
		}

		public Duration getUsedRetention() {
			return this.usedRetention;
		}

		public void setUsedRetention(Duration usedRetention) {
			this.usedRetention = usedRetention;
		}

		public OnOutstanding getOnOutstanding() {
			return this.onOutstanding;
		}

		public void setOnOutstanding(OnOutstanding onOutstanding) {
			this.onOutstanding = onOutstanding;
		}

		public Endpoint getEndpoint() {
			return this.endpoint;
		}

		/** The token-issuing endpoint. */
		public static class Endpoint {

			/**
			 * Whether to serve the token endpoint.
			 */
			private boolean enabled = true;

			/**
			 * Path of the token endpoint (POST, parameter 'operation').
			 */
			private String path = "/dedup/tokens";

			public boolean isEnabled() {
				return this.enabled;
			}

			public void setEnabled(boolean enabled) {
				this.enabled = enabled;
			}

			public String getPath() {
				return this.path;
			}

			public void setPath(String path) {
				this.path = path;
			}

		}

	}

	/** What a token request does while another token is outstanding. */
	public enum OnOutstanding {

		/** Answer 409 "operation in progress". */
		REJECT,

		/** Revoke the outstanding token and issue a new one. */
		REPLACE

	}

	/** The IDEMPOTENCY_KEY strategy. */
	public static class Idempotency {

		/**
		 * Request header carrying the idempotency key.
		 */
		private String header = "Idempotency-Key";

		/**
		 * Whether a request without the header is refused with 400; if false, it runs unprotected.
		 */
		private boolean keyRequired = true;

		/**
		 * How long the first response is kept for replay.
		 */
		private Duration retention = Duration.ofHours(24);

		/**
		 * How long a key holds if this instance dies while the first request runs; renewed every third of it.
		 */
		private Duration lease = Duration.ofSeconds(30);

		/**
		 * Response headers stored and replayed besides status and body. Set-Cookie is never replayed.
		 */
		private List<String> replayHeaders = new ArrayList<>(List.of("Content-Type", "Location", "ETag"));

		public String getHeader() {
			return this.header;
		}

		public void setHeader(String header) {
			this.header = header;
		}

		public boolean isKeyRequired() {
			return this.keyRequired;
		}

		public void setKeyRequired(boolean keyRequired) {
			this.keyRequired = keyRequired;
		}

		public Duration getRetention() {
			return this.retention;
		}

		public void setRetention(Duration retention) {
			this.retention = retention;
		}

		public Duration getLease() {
			return this.lease;
		}

		public void setLease(Duration lease) {
			this.lease = lease;
		}

		public List<String> getReplayHeaders() {
			return this.replayHeaders;
		}

		public void setReplayHeaders(List<String> replayHeaders) {
			this.replayHeaders = replayHeaders;
		}

	}

}
