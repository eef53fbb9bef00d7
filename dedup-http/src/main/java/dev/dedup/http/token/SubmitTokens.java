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
import dev.dedup.core.engine.Claim;
import dev.dedup.core.engine.ClaimStatus;
import dev.dedup.core.engine.DedupEngine;
import dev.dedup.core.engine.StepOutcome;
import dev.dedup.core.key.DedupKeys;
import dev.dedup.core.key.KeyKind;
import dev.dedup.core.store.DedupStoreException;
import dev.dedup.core.store.StoredEntry;

/**
 * One-time submit tokens, kept through the {@link DedupEngine} on its store. A token is 256 random bits (43 base64url characters); the
 * store only ever sees its SHA-256, inside keys scoped by identity and operation, so a token is useless to
 * another identity or for another operation, and a token text never becomes a store key of its own.
 *
 * <pre>
 * {prefix}:token-outstanding:{identity}:{operation}         CONSUMING, owner = token hash, for the TTL
 * {prefix}:token:{identity}:{operation}:{token hash}         CONSUMING (issued) → CONSUMED (used, tombstone)
 * </pre>
 * Consuming is one atomic step, {@link DedupEngine#completeAs} of the token entry: it succeeds for exactly
 * one request, and its answer tells a used token (tombstone) from an unknown or expired one. While the store
 * is down the engine's store-failure policy decides: fail-closed, issuing and consuming throw
 * {@link DedupStoreException}; fail-open, issuing hands out a token that is not stored, and consuming
 * answers {@link Consumption#BYPASSED}.
 */
public final class SubmitTokens {

	private static final Logger log = LoggerFactory.getLogger(SubmitTokens.class);

	private static final Pattern FORMAT = Pattern.compile("[A-Za-z0-9_-]{43}");

	private static final String ISSUED = "issued";

	private static final int REPLACE_ATTEMPTS = 3;

	private static final SecureRandom RANDOM = new SecureRandom();

	private final DedupEngine engine;

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
	public SubmitTokens(DedupEngine engine, DedupKeys keys, Duration ttl, Duration usedRetention,
			boolean replaceOutstanding) {
		this.engine = engine;
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

	/**
	 * Issues a token for this identity and operation; with the store down and a fail-open engine, a token
	 * that is not stored (the protected request then passes unchecked, so any token will do).
	 * @throws DedupStoreException if the store cannot be reached and the engine is fail-closed
	 */
	public Issue issue(String identity, String operation) {
		String token = newToken();
		String hash = hash(token);
		String outstanding = outstandingKey(identity, operation);
		for (int attempt = 0;; attempt++) {
			Claim claimed = this.engine.claimAs(outstanding, hash, this.ttl);
			if (claimed.status() == ClaimStatus.ACQUIRED) {
				return storeToken(identity, operation, token, hash, outstanding);
			}
			if (claimed.status() == ClaimStatus.BYPASSED) {
				return unstored(operation);
			}
			if (!this.replaceOutstanding || attempt >= REPLACE_ATTEMPTS) {
				return new Issue.Outstanding(claimed.remainingLease());
			}
			revoke(identity, operation, outstanding);
		}
	}

	/**
	 * Uses a token up: exactly one request can.
	 * @return CONSUMED, USED or UNKNOWN; BYPASSED if the store cannot be reached and the engine is fail-open
	 * @throws DedupStoreException if the store cannot be reached and the engine is fail-closed
	 */
	public Consumption consume(String identity, String operation, String token) {
		String hash = hash(token);
		String key = tokenKey(identity, operation, hash);
		return switch (this.engine.completeAs(key, ISSUED, this.usedRetention)) {
			case DONE -> {
				freeSlot(identity, operation, key, hash);
				yield Consumption.CONSUMED;
			}
			case ALREADY_CONSUMED -> Consumption.USED;
			case NOT_HELD -> Consumption.UNKNOWN;
			case BYPASSED -> Consumption.BYPASSED;
		};
	}

	/** Free the slot so the next token can be issued; if this fails, it expires with the TTL. */
	private void freeSlot(String identity, String operation, String key, String hash) {
		try {
			if (this.engine.releaseAs(outstandingKey(identity, operation), hash) == StepOutcome.BYPASSED) {
				log.warn("Could not clear the outstanding-token mark of '{}': the store is unavailable", key);
			}
		}
		catch (DedupStoreException ex) {
			log.warn("Could not clear the outstanding-token mark of '{}': {}", key, ex.getMessage());
		}
	}

	private Issue storeToken(String identity, String operation, String token, String hash, String outstanding) {
		Claim stored;
		try {
			stored = this.engine.claimAs(tokenKey(identity, operation, hash), ISSUED, this.ttl);
		}
		catch (DedupStoreException ex) {
			// Without its token entry the outstanding mark would block this operation for the whole TTL.
			try {
				this.engine.releaseAs(outstanding, hash);
			}
			catch (DedupStoreException ignored) {
				ex.addSuppressed(ignored);
			}
			throw ex;
		}
		return switch (stored.status()) {
			case ACQUIRED -> new Issue.Issued(token, this.ttl);
			case BYPASSED -> {
				// As above; a fail-open engine answers this release rather than throw.
				this.engine.releaseAs(outstanding, hash);
				yield unstored(operation);
			}
			case DUPLICATE, IN_PROGRESS ->
				throw new IllegalStateException("A fresh random token collided with a stored one");
		};
	}

	private void revoke(String identity, String operation, String outstanding) {
		Optional<StoredEntry> current;
		try {
			current = this.engine.inspect(outstanding);
		}
		catch (DedupStoreException ex) {
			// Not a decision: the next claim of the mark meets the same outage, and the engine's policy answers.
			return;
		}
		String oldHash = current.map(StoredEntry::owner).orElse(null);
		if (oldHash != null && this.engine.releaseAs(outstanding, oldHash) == StepOutcome.DONE) {
			// The old token's entry goes too: using it now reads as unknown, "fetch a new token".
			this.engine.releaseAs(tokenKey(identity, operation, oldHash), ISSUED);
		}
	}

	/** The engine bypassed the store (fail-open): the protected request passes unchecked, so any token will do. */
	private Issue unstored(String operation) {
		log.warn("Dedup store unavailable, issuing an unstored token for '{}' (fail-open)", operation);
		return new Issue.Issued(newToken(), this.ttl);
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
		UNKNOWN,

		/** The store cannot be reached and the engine is fail-open: run the request unchecked. */
		BYPASSED

	}

}
