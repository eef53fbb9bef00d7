package dev.dedup.http.token;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.dedup.core.Digests;
import dev.dedup.core.key.DedupKeys;
import dev.dedup.core.key.KeyKind;
import dev.dedup.core.store.ClaimOutcome;
import dev.dedup.core.store.DedupStore;
import dev.dedup.core.store.DedupStoreException;
import dev.dedup.core.store.StoredEntry;

/**
 * One-time submit tokens on the dedup store. A token is 256 random bits (43 base64url characters); the
 * store only ever sees its SHA-256, inside keys scoped by identity and operation, so a token is useless to
 * another identity or for another operation, and a token text never becomes a store key of its own.
 *
 * <pre>
 * {prefix}:token-outstanding:{identity}:{operation}         CONSUMING, owner = token hash, for the TTL
 * {prefix}:token:{identity}:{operation}:{token hash}         CONSUMING (issued) → CONSUMED (used, tombstone)
 * </pre>
 * Consuming is one atomic step, {@code complete} of the token entry: it succeeds for exactly one request.
 * When it fails, {@link DedupStore#inspect} tells a used token (tombstone) from an unknown or expired one.
 */
public final class SubmitTokens {

	private static final Logger log = LoggerFactory.getLogger(SubmitTokens.class);

	private static final Pattern FORMAT = Pattern.compile("[A-Za-z0-9_-]{43}");

	private static final String ISSUED = "issued";

	private static final int REPLACE_ATTEMPTS = 3;

	private static final SecureRandom RANDOM = new SecureRandom();

	private final DedupStore store;

	private final DedupKeys keys;

	private final Duration ttl;

	private final Duration usedRetention;

	private final boolean replaceOutstanding;

	/**
	 * @param ttl how long an issued token stays valid
	 * @param usedRetention how long a used token is remembered, to answer "duplicate" rather than "unknown"
	 * @param replaceOutstanding whether issuing revokes an outstanding token for the same identity and
	 * operation (else the request is refused while one is outstanding)
	 */
	public SubmitTokens(DedupStore store, DedupKeys keys, Duration ttl, Duration usedRetention,
			boolean replaceOutstanding) {
		this.store = store;
		this.keys = keys;
		this.ttl = ttl;
		this.usedRetention = usedRetention;
		this.replaceOutstanding = replaceOutstanding;
	}

	public Duration ttl() {
		return this.ttl;
	}

	/** Whether {@code token} has the form of a token this class issues. */
	public static boolean isWellFormed(String token) {
		return FORMAT.matcher(token).matches();
	}

	/** A token that is not stored: what fail-open hands out while the store is down. */
	public static String unstoredToken() {
		return newToken();
	}

	/**
	 * Issues a token for this identity and operation.
	 * @throws DedupStoreException if the store cannot be reached
	 */
	public Issue issue(String identity, String operation) {
		String token = newToken();
		String hash = hash(token);
		String outstanding = outstandingKey(identity, operation);
		for (int attempt = 0;; attempt++) {
			var claimed = this.store.claim(outstanding, hash, this.ttl);
			if (claimed.outcome() == ClaimOutcome.ACQUIRED) {
				return storeToken(identity, operation, token, hash, outstanding);
			}
			if (!this.replaceOutstanding || attempt >= REPLACE_ATTEMPTS) {
				return new Issue.Outstanding(claimed.remainingLease());
			}
			revoke(identity, operation, outstanding);
		}
	}

	/**
	 * Uses a token up: exactly one request can.
	 * @throws DedupStoreException if the store cannot be reached
	 */
	public Consumption consume(String identity, String operation, String token) {
		String hash = hash(token);
		String key = tokenKey(identity, operation, hash);
		if (this.store.complete(key, ISSUED, this.usedRetention, null)) {
			try {
				// Free the slot so the next token can be issued; if this fails, it expires with the TTL.
				this.store.release(outstandingKey(identity, operation), hash);
			}
			catch (DedupStoreException ex) {
				log.warn("Could not clear the outstanding-token mark of '{}': {}", key, ex.getMessage());
			}
			return Consumption.CONSUMED;
		}
		Optional<StoredEntry> entry = this.store.inspect(key);
		return entry.isPresent() && entry.get().state() == StoredEntry.State.CONSUMED ? Consumption.USED
				: Consumption.UNKNOWN;
	}

	private Issue storeToken(String identity, String operation, String token, String hash, String outstanding) {
		ClaimOutcome stored;
		try {
			stored = this.store.claim(tokenKey(identity, operation, hash), ISSUED, this.ttl).outcome();
		}
		catch (DedupStoreException ex) {
			// Without its token entry the outstanding mark would block this operation for the whole TTL.
			try {
				this.store.release(outstanding, hash);
			}
			catch (DedupStoreException ignored) {
				ex.addSuppressed(ignored);
			}
			throw ex;
		}
		if (stored != ClaimOutcome.ACQUIRED) {
			throw new IllegalStateException("A fresh random token collided with a stored one");
		}
		return new Issue.Issued(token, this.ttl);
	}

	private void revoke(String identity, String operation, String outstanding) {
		Optional<StoredEntry> current = this.store.inspect(outstanding);
		String oldHash = current.map(StoredEntry::owner).orElse(null);
		if (oldHash != null && this.store.release(outstanding, oldHash)) {
			// The old token's entry goes too: using it now reads as unknown, "fetch a new token".
			this.store.release(tokenKey(identity, operation, oldHash), ISSUED);
		}
	}

	private String outstandingKey(String identity, String operation) {
		return this.keys.key(KeyKind.TOKEN_OUTSTANDING, identity, operation);
	}

	private String tokenKey(String identity, String operation, String hash) {
		return this.keys.key(KeyKind.TOKEN, identity, operation, hash);
	}

	private static String newToken() {
		byte[] bytes = new byte[32];
		RANDOM.nextBytes(bytes);
		return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
	}

	private static String hash(String token) {
		return Digests.sha256Hex(token.getBytes(StandardCharsets.US_ASCII));
	}

	/** The answer to an issue request. */
	public sealed interface Issue {

		/** A new token, valid for {@code ttl}. */
		record Issued(String token, Duration ttl) implements Issue {
		}

		/** Refused: a token for this identity and operation is outstanding for {@code remaining}. */
		record Outstanding(Duration remaining) implements Issue {
		}

	}

	/** The answer to a consume request. */
	public enum Consumption {

		/** The token was valid and is now used: run the request. */
		CONSUMED,

		/** The token was used before (a duplicate submit). */
		USED,

		/** Never issued to this identity for this operation, expired, or revoked. */
		UNKNOWN

	}

}
