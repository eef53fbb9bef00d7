package dev.dedup.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import dev.dedup.core.store.ClaimOutcome;
import dev.dedup.core.store.ClaimResult;
import dev.dedup.core.store.DedupStore;
import dev.dedup.core.store.DedupStoreException;
import dev.dedup.core.store.ForeignEntryException;
import dev.dedup.core.store.StoredEntry;
import org.jspecify.annotations.Nullable;

import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.util.ClassUtils;

/**
 * A {@link DedupStore} on Redis through Spring Data Redis. Each step is one Lua script
 * ({@code dev/dedup/redis/*.lua}), run by SHA (EVALSHA, falling back to EVAL when the server's script cache
 * is empty), so it is atomic on the server. Expiry is Redis' own {@code PEXPIRE}: no JVM clock is involved.
 *
 * <h2>Key layout</h2>
 * Each dedup key is one Redis hash under exactly that key (no prefix is added: {@code DedupKeys} builds
 * {@code {prefix}:{scope}:{id}} already):
 * <pre>
 * s   state: C (CONSUMING) or D (CONSUMED)
 * o   owner id, only while CONSUMING
 * r   result bytes, only when CONSUMED with a result
 * TTL the lease while CONSUMING, the retention once CONSUMED (PEXPIRE, milliseconds)
 * </pre>
 * An absent or expired key is "none". Each script reads and writes only its one key, so every step runs on
 * the node that owns the key's slot and the store works on Redis Cluster without hash tags: no two keys
 * ever need to share a slot. The batch forms pipeline one script per key (Lettuce sends them all before
 * reading any reply), one round trip for a whole poll, routed per key on a cluster; they are not atomic as
 * a whole, and need not be.
 * <p>
 * Every driver failure (connection refused, timeout, error reply) is thrown as a
 * {@link DedupStoreException} naming this store. A claim that finds something else under its key (a string,
 * a list, a hash without a dedup state) leaves it alone and throws {@link ForeignEntryException}.
 */
public final class RedisDedupStore implements DedupStore {

	/**
	 * Redis allows keys of up to 512 MB, but a dedup key is stored once per message: long keys waste memory
	 * and network. Longer message ids are hashed by {@code DedupKeys}.
	 */
	public static final int MAX_KEY_LENGTH = 512;

	/** The deadline of a store call unless the constructor names another: {@code dedup.store-timeout}'s default. */
	public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);

	private static final boolean LETTUCE_PRESENT = ClassUtils.isPresent("io.lettuce.core.RedisClient",
			RedisDedupStore.class.getClassLoader());

	private static final byte[][] NO_ARGS = new byte[0][];

	private final RedisConnectionFactory connectionFactory;

	private final ScriptRunner runner;

	/**
	 * A store whose calls fail after {@link #DEFAULT_TIMEOUT} without an answer.
	 * @param connectionFactory the Redis to use; with Lettuce, the batch forms use its shared connection
	 */
	public RedisDedupStore(RedisConnectionFactory connectionFactory) {
		this(connectionFactory, DEFAULT_TIMEOUT);
	}

	/**
	 * @param connectionFactory the Redis to use; with Lettuce, the batch forms use its shared connection
	 * @param timeout the deadline of each store call (one step, or one whole batch), whatever the client's
	 * own command timeout is. With Lettuce it is enforced here; with other clients (Jedis) their own socket
	 * timeout applies, so set it no higher.
	 */
	public RedisDedupStore(RedisConnectionFactory connectionFactory, Duration timeout) {
		this(connectionFactory, timeout, true);
	}

	/**
	 * @param lettuceWhenPossible false to use Spring's driver-neutral path even on Lettuce (tests)
	 */
	RedisDedupStore(RedisConnectionFactory connectionFactory, Duration timeout, boolean lettuceWhenPossible) {
		if (timeout.toMillis() < 1) {
			throw new IllegalArgumentException("The store timeout must be at least 1ms, was " + timeout);
		}
		this.connectionFactory = connectionFactory;
		ScriptRunner lettuce = (lettuceWhenPossible && LETTUCE_PRESENT)
				? LettuceScriptRunner.forFactory(connectionFactory, timeout) : null;
		this.runner = (lettuce != null) ? lettuce : new ConnectionScriptRunner(connectionFactory);
	}

	@Override
	public ClaimResult claim(String key, String owner, Duration lease) {
		return claimAll("claim '" + key + "'", List.of(key), owner, lease).get(0);
	}

	@Override
	public boolean complete(String key, String owner, Duration retention, byte @Nullable [] result) {
		return isOne(runOne("complete '" + key + "'", completeCall(key, owner, retention, result)));
	}

	@Override
	public boolean release(String key, String owner) {
		return isOne(runOne("release '" + key + "'", releaseCall(key, owner)));
	}

	@Override
	public boolean renew(String key, String owner, Duration lease) {
		return isOne(runOne("renew '" + key + "'", new ScriptCall(StoreScript.RENEW, bytes(key),
				new byte[][] { bytes(owner), millis("lease", lease) })));
	}

	@Override
	public Optional<StoredEntry> inspect(String key) {
		Object reply = runOne("inspect '" + key + "'", new ScriptCall(StoreScript.INSPECT, bytes(key), NO_ARGS));
		return toStoredEntry(reply);
	}

	@Override
	public List<ClaimResult> claimAll(List<String> keys, String owner, Duration lease) {
		if (keys.isEmpty()) {
			return List.of();
		}
		return claimAll("claim " + keys.size() + " keys", keys, owner, lease);
	}

	private List<ClaimResult> claimAll(String action, List<String> keys, String owner, Duration lease) {
		List<ScriptCall> calls = new ArrayList<>(keys.size());
		for (String key : keys) {
			calls.add(claimCall(key, owner, lease));
		}
		List<@Nullable Object> replies;
		try {
			replies = run(action, calls);
		}
		catch (DedupStoreException ex) {
			if (ScriptRunner.isTimeout(ex)) {
				// The claims may still run once a hung server wakes up, and would then hold their keys for a
				// whole lease that nobody works on: send their releases after them (fenced by this owner).
				List<ScriptCall> releases = new ArrayList<>(keys.size());
				for (String key : keys) {
					releases.add(releaseCall(key, owner));
				}
				this.runner.sendWithoutReply(releases);
			}
			throw ex;
		}
		List<ClaimResult> results = new ArrayList<>(keys.size());
		ForeignEntryException foreign = null;
		for (int i = 0; i < keys.size(); i++) {
			Object reply = replies.get(i);
			String found = foreignEntry(reply);
			if (found != null) {
				foreign = (foreign != null) ? foreign : new ForeignEntryException(keys.get(i), found);
				results.add(null);
				continue;
			}
			results.add(toClaimResult(reply));
		}
		if (foreign != null) {
			releaseAcquired(keys, owner, results, foreign);
			throw foreign;
		}
		return results;
	}

	/**
	 * A batch with a foreign entry fails as a whole, so the caller never learns of the other keys it claimed:
	 * give them back at once rather than leave them held for a lease.
	 */
	private void releaseAcquired(List<String> keys, String owner, List<@Nullable ClaimResult> results,
			ForeignEntryException foreign) {
		List<ScriptCall> releases = new ArrayList<>();
		for (int i = 0; i < keys.size(); i++) {
			ClaimResult result = results.get(i);
			if (result != null && result.outcome() == ClaimOutcome.ACQUIRED) {
				releases.add(releaseCall(keys.get(i), owner));
			}
		}
		if (releases.isEmpty()) {
			return;
		}
		try {
			run("release " + releases.size() + " keys", releases);
		}
		catch (DedupStoreException ex) {
			foreign.addSuppressed(ex); // they expire with their lease
		}
	}

	/** What a claim found instead of a dedup entry, or null if the reply is a dedup answer. */
	private static @Nullable String foreignEntry(@Nullable Object reply) {
		if (reply instanceof List<?> values && values.size() == 2 && values.get(0) instanceof Number code
				&& code.intValue() == 3) {
			Object found = values.get(1);
			return (found instanceof byte[] bytes) ? new String(bytes, StandardCharsets.UTF_8) : String.valueOf(found);
		}
		return null;
	}

	@Override
	public List<Boolean> completeAll(List<String> keys, String owner, Duration retention) {
		if (keys.isEmpty()) {
			return List.of();
		}
		List<ScriptCall> calls = new ArrayList<>(keys.size());
		for (String key : keys) {
			calls.add(completeCall(key, owner, retention, null));
		}
		List<Boolean> results = new ArrayList<>(keys.size());
		for (Object reply : run("complete " + keys.size() + " keys", calls)) {
			results.add(isOne(reply));
		}
		return results;
	}

	/** {@value #MAX_KEY_LENGTH}: see {@link #MAX_KEY_LENGTH}. */
	@Override
	public int maxKeyLength() {
		return MAX_KEY_LENGTH;
	}

	@Override
	public String toString() {
		return "RedisDedupStore[" + this.connectionFactory.getClass().getSimpleName() + "]";
	}

	private static ScriptCall claimCall(String key, String owner, Duration lease) {
		return new ScriptCall(StoreScript.CLAIM, bytes(key), new byte[][] { bytes(owner), millis("lease", lease) });
	}

	private static ScriptCall releaseCall(String key, String owner) {
		return new ScriptCall(StoreScript.RELEASE, bytes(key), new byte[][] { bytes(owner) });
	}

	private ScriptCall completeCall(String key, String owner, Duration retention, byte @Nullable [] result) {
		byte[] owned = bytes(owner);
		byte[] ttl = millis("retention", retention);
		// No third argument means no result, so an empty result stays distinct from none.
		byte[][] args = (result != null) ? new byte[][] { owned, ttl, result } : new byte[][] { owned, ttl };
		return new ScriptCall(StoreScript.COMPLETE, bytes(key), args);
	}

	private @Nullable Object runOne(String action, ScriptCall call) {
		return run(action, List.of(call)).get(0);
	}

	private List<@Nullable Object> run(String action, List<ScriptCall> calls) {
		List<@Nullable Object> replies = this.runner.run(action, calls);
		if (replies.size() != calls.size()) {
			throw new DedupStoreException("Redis dedup store could not " + action + ": expected " + calls.size()
					+ " replies, got " + replies.size());
		}
		return replies;
	}

	private static ClaimResult toClaimResult(@Nullable Object reply) {
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

	private static Optional<StoredEntry> toStoredEntry(@Nullable Object reply) {
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

	private static boolean isOne(@Nullable Object reply) {
		if (reply instanceof Number number) {
			return number.longValue() == 1;
		}
		throw new DedupStoreException("Redis dedup store got an unexpected reply: " + reply);
	}

	private static byte[] bytes(String value) {
		return value.getBytes(StandardCharsets.UTF_8);
	}

	/** Whole milliseconds, at least 1: PEXPIRE 0 would delete the entry at once. */
	private static byte[] millis(String what, Duration duration) {
		if (duration.isNegative() || duration.isZero()) {
			throw new IllegalArgumentException("The " + what + " must be positive, but is " + duration);
		}
		return bytes(Long.toString(Math.max(1, duration.toMillis())));
	}

}
