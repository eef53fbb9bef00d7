package dev.dedup.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import dev.dedup.core.store.ClaimResult;
import dev.dedup.core.store.DedupStoreException;
import dev.dedup.core.store.StoredEntry;
import org.jspecify.annotations.Nullable;

/**
 * Reads the replies of the store scripts ({@code dev/dedup/redis/*.lua}) into the store's types. A reply of
 * any other shape is a {@link DedupStoreException}: the server runs another version of a script, or is not
 * Redis.
 */
final class ScriptReplies {

	private ScriptReplies() {
	}

	/**
	 * The claim script's reply for one key: {@code 0} acquired, else {@code [code, detail]}: 1 duplicate
	 * (result), 2 in progress (ms).
	 */
	static ClaimResult claimResult(@Nullable Object reply) {
		if (reply instanceof Number acquired && acquired.intValue() == 0) {
			return ClaimResult.acquired();
		}
		if (reply instanceof List<?> values && !values.isEmpty() && values.get(0) instanceof Number code) {
			switch (code.intValue()) {
				case 0:
					return ClaimResult.acquired();
				case 1:
					return ClaimResult.duplicate((values.size() > 1 && values.get(1) instanceof byte[] result)
							? result : null);
				case 2:
					if (values.size() > 1 && values.get(1) instanceof Number remaining) {
						return ClaimResult.inProgress(Duration.ofMillis(remaining.longValue()));
					}
					break;
				default:
					break;
			}
		}
		throw new DedupStoreException("Redis dedup store got an unexpected reply to claim: " + reply);
	}

	/** What a claim (code 3) or an evict (code 2) found instead of a dedup entry, or null for a dedup answer. */
	static @Nullable String foreignEntry(@Nullable Object reply, int foreignCode) {
		if (reply instanceof List<?> values && values.size() == 2 && values.get(0) instanceof Number code
				&& code.intValue() == foreignCode) {
			Object found = values.get(1);
			return (found instanceof byte[] bytes) ? new String(bytes, StandardCharsets.UTF_8) : String.valueOf(found);
		}
		return null;
	}

	/** The inspect script's reply: empty for none, else {@code [state, ttl, owner?, result?]}. */
	static Optional<StoredEntry> storedEntry(@Nullable Object reply) {
		if (reply instanceof List<?> values) {
			if (values.isEmpty()) {
				return Optional.empty();
			}
			if (values.size() >= 2 && values.get(0) instanceof byte[] state && values.get(1) instanceof Number ttl) {
				Duration remaining = Duration.ofMillis(Math.max(0, ttl.longValue()));
				Object owner = values.size() > 2 ? values.get(2) : null;
				Object result = values.size() > 3 ? values.get(3) : null;
				String code = new String(state, StandardCharsets.UTF_8);
				if ("C".equals(code) && owner instanceof byte[] ownerBytes) {
					return Optional.of(StoredEntry.consuming(new String(ownerBytes, StandardCharsets.UTF_8), remaining));
				}
				if ("D".equals(code)) {
					return Optional.of(StoredEntry.consumed(remaining, (result instanceof byte[] bytes) ? bytes : null));
				}
			}
		}
		throw new DedupStoreException("Redis dedup store got an unexpected reply to inspect: " + reply);
	}

	/** The evict script's reply {@code [code]}: 1 deleted, 0 nothing there (2, a foreign entry, is read first). */
	static boolean evicted(@Nullable Object reply) {
		if (reply instanceof List<?> values && !values.isEmpty() && values.get(0) instanceof Number code) {
			return code.intValue() == 1;
		}
		throw new DedupStoreException("Redis dedup store got an unexpected reply to evict: " + reply);
	}

	/** A 0/1 integer reply (complete, release, renew, ping). */
	static boolean isOne(@Nullable Object reply) {
		if (reply instanceof Number number) {
			return number.longValue() == 1;
		}
		throw new DedupStoreException("Redis dedup store got an unexpected reply: " + reply);
	}

}
