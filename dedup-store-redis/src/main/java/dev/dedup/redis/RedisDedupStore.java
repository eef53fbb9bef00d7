package dev.dedup.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

import dev.dedup.core.Durations;
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
 * Each dedup key is one Redis string under exactly that key (no prefix is added: {@code DedupKeys} builds
 * {@code {prefix}:{kind}:…} already):
 * <pre>
 * NUL C owner    CONSUMING under that owner
 * NUL D          CONSUMED
 * NUL R result   CONSUMED with result bytes
 * NUL P id       a key of a poll ({@link #claimPoll}): the state of the poll's row
 * TTL            the lease while CONSUMING, the retention once CONSUMED (PX, milliseconds); a key of a poll
 *                the lease plus the retention from its claim
 * </pre>
 * A poll's row, under {@code SOH "poll:"} and the id ({@link PollRow}), is {@code NUL C owner} for the poll's
 * lease, then {@code NUL D} for the retention: marking a poll CONSUMED is one write, whatever its number of
 * keys, where each key's own entry takes a write per key.
 * A string costs the server less per step than the hash of dedup 0.1 ({@code s}, {@code o}, {@code r}
 * fields), whose entries the claim and inspect scripts still read, so an upgrade keeps what they recorded.
 * An absent or expired key is "none". The batch forms run one script for many keys, grouped by hash slot
 * on Redis Cluster ({@link SlotBatches}). A batch is not atomic as a whole, and need not be: each key's step
 * is.
 * <p>
 * Every driver failure (connection refused, timeout, error reply) is thrown as a
 * {@link DedupStoreException} naming this store. A claim that finds something else under its key (a string,
 * a list, a hash without a dedup state) leaves it alone and throws {@link ForeignEntryException}.
 *
 * <h2>Marks and failover</h2>
 * Redis replicates asynchronously: a mark (complete) the master acknowledged can be lost when the master
 * dies before its replica has it and Sentinel (or the cluster) promotes that replica; the message is then
 * processed again. With {@code waitForReplicas} (see the constructor) each mark is followed by
 * {@code WAIT}, and a mark that not enough replicas acknowledged in time fails instead of reporting success.
 */
public final class RedisDedupStore implements DedupStore {

	/**
	 * Redis allows keys of up to 512 MB, but a dedup key is stored once per message: long keys waste memory
	 * and network. Longer keys are hashed by {@code DedupKeys}.
	 */
	public static final int MAX_KEY_LENGTH = 512;

	/** The deadline of a store call unless the constructor names another: {@code dedup.store-timeout}'s default. */
	public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);

	private static final boolean LETTUCE_PRESENT = ClassUtils.isPresent("io.lettuce.core.RedisClient",
			RedisDedupStore.class.getClassLoader());

	private static final byte[][] NO_ARGS = new byte[0][];

	/** The most keys one script call takes: see {@link SlotBatches#MAX_KEYS_PER_SCRIPT}. */
	static final int MAX_KEYS_PER_SCRIPT = SlotBatches.MAX_KEYS_PER_SCRIPT;

	private final RedisConnectionFactory connectionFactory;

	private final SlotBatches scripts;

	private final Duration timeout;

	/** The WAIT after each mark, or null when marks do not wait for replicas (the default). */
	private final @Nullable ReplicaWait replicaWait;

	/** Whether {@link #claimPoll} writes a poll's row ({@link PollRow}): with Lettuce, off a cluster, unless turned off. */
	private final boolean keepsPolls;

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
		this(connectionFactory, timeout, lettuceWhenPossible, 0, Duration.ZERO, true);
	}

	/**
	 * A store whose marks ({@link #complete}, {@link #completeAll}) wait until {@code waitForReplicas}
	 * replicas have them: each mark that changed an entry is followed by {@code WAIT waitForReplicas
	 * waitTimeout} on the same connection, and fails with a {@link DedupStoreException} if fewer replicas
	 * acknowledged it, so that the caller does not take it as durable. The entry is CONSUMED on the master
	 * then all the same (a retry of the mark answers false), and survives unless the master dies before its
	 * replicas catch up.
	 * <p>
	 * WAIT blocks the connection it is sent on until the replicas answer, and it must be the connection the
	 * mark was written on: so this takes Lettuce's shared connection (the default), whose other commands
	 * queue behind each WAIT — one replica round trip while the replicas keep up, up to {@code waitTimeout}
	 * when they do not. Not on Redis Cluster (a WAIT would reach one node only), nor on Jedis or a Lettuce
	 * factory without a shared connection (each call may take another connection).
	 * @param waitForReplicas the replicas each mark must reach; 0 for none (no WAIT: the other constructors)
	 * @param waitTimeout how long the server waits for them; at least 1ms and below {@code timeout}, so the
	 * answer arrives within the store call's deadline
	 * @throws IllegalArgumentException if the factory or the durations do not allow waiting
	 */
	public RedisDedupStore(RedisConnectionFactory connectionFactory, Duration timeout, int waitForReplicas,
			Duration waitTimeout) {
		this(connectionFactory, timeout, true, waitForReplicas, waitTimeout, true);
	}

	/**
	 * As {@link #RedisDedupStore(RedisConnectionFactory, Duration, int, Duration)}, choosing whether a poll's
	 * claims share one row ({@link #claimPoll}).
	 * @param waitForReplicas 0 for marks that do not wait for replicas
	 * @param pollRows false to write each key of a poll as an entry of its own, as dedup did before poll rows:
	 * while instances of that earlier version share the store, which read a key of a poll as something dedup
	 * did not write
	 */
	public RedisDedupStore(RedisConnectionFactory connectionFactory, Duration timeout, int waitForReplicas,
			Duration waitTimeout, boolean pollRows) {
		this(connectionFactory, timeout, true, waitForReplicas, waitTimeout, pollRows);
	}

	RedisDedupStore(RedisConnectionFactory connectionFactory, Duration timeout, boolean lettuceWhenPossible,
			int waitForReplicas, Duration waitTimeout, boolean pollRows) {
		Durations.requireAtLeastOneMilli(timeout, "store timeout");
		this.connectionFactory = connectionFactory;
		this.timeout = timeout;
		ScriptRunner lettuce = (lettuceWhenPossible && LETTUCE_PRESENT)
				? LettuceScriptRunner.forFactory(connectionFactory, timeout) : null;
		this.scripts = new SlotBatches((lettuce != null) ? lettuce : new ConnectionScriptRunner(connectionFactory));
		this.keepsPolls = pollRows && lettuce != null && !lettuce.isCluster();
		this.replicaWait = (waitForReplicas != 0)
				? ReplicaWait.of(connectionFactory, lettuce != null, timeout, waitForReplicas, waitTimeout) : null;
	}

	@Override
	public ClaimResult claim(String key, String owner, Duration lease) {
		return claimKeys("claim '" + key + "'", List.of(key), owner, claimArgs(owner, lease), null).get(0);
	}

	@Override
	public boolean complete(String key, String owner, Duration retention, byte @Nullable [] result) {
		long started = System.nanoTime();
		byte[] owned = bytes(owner);
		byte[] ttl = millis("retention", retention);
		// No third argument means no result, so an empty result stays distinct from none.
		byte[][] args = (result != null) ? new byte[][] { owned, ttl, result } : new byte[][] { owned, ttl };
		String action = "complete '" + key + "'";
		boolean completed = ScriptReplies.isOne(this.scripts.perKey(action, StoreScript.COMPLETE, List.of(key), args)
			.get(0));
		if (completed) {
			awaitReplicas(action, 1, started);
		}
		return completed;
	}

	@Override
	public boolean release(String key, String owner) {
		return ScriptReplies.isOne(this.scripts.perKey("release '" + key + "'", StoreScript.RELEASE, List.of(key),
				new byte[][] { bytes(owner) }).get(0));
	}

	@Override
	public boolean renew(String key, String owner, Duration lease) {
		return ScriptReplies.isOne(this.scripts.runOne("renew '" + key + "'",
				new ScriptCall(StoreScript.RENEW, bytes(key), new byte[][] { bytes(owner), millis("lease", lease) })));
	}

	@Override
	public Optional<StoredEntry> inspect(String key) {
		return ScriptReplies.storedEntry(this.scripts.runOne("inspect '" + key + "'",
				new ScriptCall(StoreScript.INSPECT, bytes(key), NO_ARGS)));
	}

	@Override
	public boolean evict(String key) {
		Object reply = this.scripts.runOne("evict '" + key + "'",
				new ScriptCall(StoreScript.EVICT, bytes(key), NO_ARGS));
		String found = ScriptReplies.foreignEntry(reply, 2);
		if (found != null) {
			throw new ForeignEntryException(key, found);
		}
		return ScriptReplies.evicted(reply);
	}

	@Override
	public void ping() {
		if (!ScriptReplies.isOne(this.scripts.runOne("ping", new ScriptCall(StoreScript.PING, NO_ARGS, NO_ARGS)))) {
			throw new DedupStoreException("Redis dedup store got an unexpected reply to ping");
		}
	}

	@Override
	public List<ClaimResult> claimAll(List<String> keys, String owner, Duration lease) {
		if (keys.isEmpty()) {
			return List.of();
		}
		return claimKeys("claim " + keys.size() + " keys", keys, owner, claimArgs(owner, lease), null);
	}

	/**
	 * Off a cluster, with Lettuce: each key points to the poll's row ({@link PollRow}), which holds the lease of
	 * them all and, once {@link #completePoll} marks it, their CONSUMED state; the claim costs what
	 * {@link #claimAll}'s does, plus the row. A key lives for the lease plus the retention from its claim by its
	 * own expiry, so a poll whose work outruns its first lease keeps its keys that much less after its mark
	 * (a renewed key lives at least as long as its lease). On a cluster the keys of a poll share no hash slot
	 * with one row, and this is {@link #claimAll}.
	 */
	@Override
	public List<ClaimResult> claimPoll(List<String> keys, String owner, Duration lease, Duration retention) {
		if (!this.keepsPolls || keys.isEmpty()) {
			return claimAll(keys, owner, lease);
		}
		PollRow poll = PollRow.of(owner);
		byte[][] args = { bytes(owner), millis("lease", lease), poll.keyValue(),
				millis("retention", retention.plus(lease)) };
		return claimKeys("claim a poll of " + keys.size() + " keys", keys, owner, args, poll.key());
	}

	/** Where {@link #claimPoll} keeps polls: see there. */
	@Override
	public boolean completesPollsInOneWrite() {
		return this.keepsPolls;
	}

	/**
	 * Where the poll was claimed with {@link #claimPoll} and still holds its lease: one write, of the poll's
	 * row, marks every key it holds. Otherwise as {@link #completeAll}, which refuses every key of a poll whose
	 * lease was lost. A key evicted while the poll ran answers true with the others: its entry is gone either
	 * way.
	 */
	@Override
	public List<Boolean> completePoll(List<String> keys, String owner, Duration retention) {
		if (this.keepsPolls && !keys.isEmpty()) {
			long started = System.nanoTime();
			String action = "complete a poll of " + keys.size() + " keys";
			if (ScriptReplies.isOne(this.scripts.runOne(action, new ScriptCall(StoreScript.COMPLETE_POLL,
					PollRow.of(owner).key(), new byte[][] { bytes(owner), millis("retention", retention) })))) {
				awaitReplicas(action, keys.size(), started);
				return Collections.nCopies(keys.size(), Boolean.TRUE);
			}
		}
		return completeAll(keys, owner, retention);
	}

	private static byte[][] claimArgs(String owner, Duration lease) {
		return new byte[][] { bytes(owner), millis("lease", lease) };
	}

	private List<ClaimResult> claimKeys(String action, List<String> keys, String owner, byte[][] args,
			byte @Nullable [] pollRow) {
		List<@Nullable Object> replies;
		try {
			replies = this.scripts.perKey(action, StoreScript.CLAIM, keys, args, pollRow);
		}
		catch (DedupStoreException ex) {
			if (ScriptRunner.isTimeout(ex)) {
				// The claims may still run once a hung server wakes up, and would then hold their keys for a
				// whole lease that nobody works on: send their releases after them (fenced by this owner).
				this.scripts.sendWithoutReply(StoreScript.RELEASE, keys, new byte[][] { bytes(owner) });
			}
			throw ex;
		}
		List<ClaimResult> results = new ArrayList<>(keys.size());
		ForeignEntryException foreign = null;
		for (int i = 0; i < keys.size(); i++) {
			Object reply = replies.get(i);
			String found = ScriptReplies.foreignEntry(reply, 3);
			if (found != null) {
				foreign = (foreign != null) ? foreign : new ForeignEntryException(keys.get(i), found);
				results.add(null);
				continue;
			}
			results.add(ScriptReplies.claimResult(reply));
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
		List<String> acquired = new ArrayList<>();
		for (int i = 0; i < keys.size(); i++) {
			ClaimResult result = results.get(i);
			if (result != null && result.outcome() == ClaimOutcome.ACQUIRED) {
				acquired.add(keys.get(i));
			}
		}
		if (acquired.isEmpty()) {
			return;
		}
		try {
			this.scripts.perKey("release " + acquired.size() + " keys", StoreScript.RELEASE, acquired,
					new byte[][] { bytes(owner) });
		}
		catch (DedupStoreException ex) {
			foreign.addSuppressed(ex); // they expire with their lease
		}
	}

	@Override
	public List<Boolean> completeAll(List<String> keys, String owner, Duration retention) {
		if (keys.isEmpty()) {
			return List.of();
		}
		long started = System.nanoTime();
		String action = "complete " + keys.size() + " keys";
		List<Boolean> results = new ArrayList<>(keys.size());
		int completed = 0;
		for (Object reply : this.scripts.perKey(action, StoreScript.COMPLETE, keys,
				new byte[][] { bytes(owner), millis("retention", retention) })) {
			boolean one = ScriptReplies.isOne(reply);
			results.add(one);
			completed += one ? 1 : 0;
		}
		if (completed > 0) {
			awaitReplicas(action, completed, started);
		}
		return results;
	}

	/**
	 * With {@code waitForReplicas}, waits until enough replicas have the {@code marked} marks just written,
	 * within what is left of the store call's deadline; otherwise does nothing.
	 * @throws DedupStoreException if fewer replicas acknowledged them, or no answer came in time
	 */
	private void awaitReplicas(String action, int marked, long started) {
		ReplicaWait wait = this.replicaWait;
		if (wait != null) {
			wait.await(action, marked, started + this.timeout.toNanos());
		}
	}

	/** {@value #MAX_KEY_LENGTH}: see {@link #MAX_KEY_LENGTH}. */
	@Override
	public int maxKeyLength() {
		return MAX_KEY_LENGTH;
	}

	@Override
	public String toString() {
		ReplicaWait wait = this.replicaWait;
		return "RedisDedupStore[" + this.connectionFactory.getClass().getSimpleName()
				+ ((wait != null) ? ", marks wait for " + wait : "") + "]";
	}

	static byte[] bytes(String value) {
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
