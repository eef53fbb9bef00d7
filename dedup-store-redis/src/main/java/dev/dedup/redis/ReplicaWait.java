package dev.dedup.redis;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.dedup.core.store.DedupStoreException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import org.jspecify.annotations.Nullable;

import org.springframework.dao.DataAccessException;
import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * {@code WAIT numreplicas timeout} after a mark. Redis answers how many replicas have acknowledged every
 * write made so far on the connection WAIT is sent on, so it goes out on the connection the marks did:
 * the factory's shared Lettuce connection, the one {@link LettuceScriptRunner} uses (other threads'
 * writes on it only make it wait for more). It is sent once the scripts answered — one more round trip;
 * sending it in the scripts' pipeline would save that trip but take a change to the runner. Should Lettuce
 * reconnect in between, WAIT would count the writes of the new connection only (none) and could report a
 * mark replicated that is not: after a blip with the master still up, the mark is on it and on its way to
 * the replicas; after a failover the new master may lack it, but a failover takes longer than the store
 * timeout (Sentinel's down-after-milliseconds alone is 30 s by default), so the WAIT times out first.
 * <p>
 * Its own class so that Lettuce is loaded only when marks wait (a Jedis application has none).
 */
final class ReplicaWait {

	private final LettuceConnectionFactory factory;

	private final int replicas;

	private final Duration timeout;

	private volatile @Nullable RedisClusterAsyncCommands<byte[], byte[]> shared;

	private ReplicaWait(LettuceConnectionFactory factory, int replicas, Duration timeout) {
		this.factory = factory;
		this.replicas = replicas;
		this.timeout = timeout;
	}

	static ReplicaWait of(RedisConnectionFactory connectionFactory, boolean lettuceRunner, Duration storeTimeout,
			int replicas, Duration timeout) {
		if (replicas < 0) {
			throw new IllegalArgumentException("The replicas to wait for must be 0 (none) or more, was " + replicas);
		}
		if (timeout.toMillis() < 1 || timeout.compareTo(storeTimeout) >= 0) {
			// WAIT 0 would block for ever; a wait as long as the store timeout would outlast the call's deadline.
			throw new IllegalArgumentException("The wait for replicas must be at least 1ms and shorter than the "
					+ "store timeout of " + storeTimeout.toMillis() + "ms, was " + timeout);
		}
		if (!lettuceRunner || !(connectionFactory instanceof LettuceConnectionFactory lettuce)
				|| !lettuce.getShareNativeConnection() || lettuce.isClusterAware()) {
			throw new IllegalArgumentException("Marks can wait for replicas only on a Lettuce connection factory "
					+ "with a shared native connection to one master (standalone or Sentinel), not on "
					+ connectionFactory.getClass().getSimpleName()
					+ (isClusterAware(connectionFactory) ? " for a Redis Cluster" : ""));
		}
		return new ReplicaWait(lettuce, replicas, timeout);
	}

	private static boolean isClusterAware(RedisConnectionFactory factory) {
		return factory instanceof LettuceConnectionFactory lettuce && lettuce.isClusterAware();
	}

	void await(String action, int marked, long deadline) {
		RedisFuture<Long> reply = null;
		try {
			reply = commands(action).waitForReplication(this.replicas, this.timeout.toMillis());
			Long acknowledged = reply.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
			if (acknowledged == null || acknowledged < this.replicas) {
				throw new DedupStoreException("Redis dedup store could not " + action + " durably: the master has "
						+ marked + ((marked == 1) ? " mark" : " marks") + ", but only " + acknowledged + " of the "
						+ this.replicas + " replicas required acknowledged within " + this.timeout.toMillis()
						+ " ms, so a failover could lose " + ((marked == 1) ? "it" : "them"));
			}
		}
		catch (ExecutionException ex) {
			throw ScriptRunner.failure(action + " and wait for replicas", ex.getCause());
		}
		catch (TimeoutException ex) {
			reply.cancel(false);
			throw ScriptRunner.failure(action + " and wait for replicas",
					new TimeoutException("no answer to WAIT within the store timeout"));
		}
		catch (RedisException ex) {
			throw ScriptRunner.failure(action + " and wait for replicas", ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw ScriptRunner.failure(action + " and wait for replicas", ex);
		}
	}

	/** The shared connection's commands, remembered as {@link LettuceScriptRunner} does. */
	@SuppressWarnings("unchecked")
	private RedisClusterAsyncCommands<byte[], byte[]> commands(String action) {
		RedisClusterAsyncCommands<byte[], byte[]> current = this.shared;
		if (current != null && current.isOpen()) {
			return current;
		}
		try (RedisConnection connection = this.factory.getConnection()) {
			RedisClusterAsyncCommands<byte[], byte[]> redis = (RedisClusterAsyncCommands<byte[], byte[]>) connection
				.getNativeConnection();
			if (!this.factory.getValidateConnection()) {
				this.shared = redis;
			}
			return redis;
		}
		catch (DataAccessException ex) {
			throw ScriptRunner.failure(action + " and wait for replicas", ex);
		}
	}

	@Override
	public String toString() {
		return this.replicas + ((this.replicas == 1) ? " replica" : " replicas") + " (WAIT "
				+ this.timeout.toMillis() + " ms)";
	}

}
