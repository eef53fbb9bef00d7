package dev.dedup.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.lettuce.core.RedisException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import org.jspecify.annotations.Nullable;

import org.springframework.dao.DataAccessException;
import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * Runs scripts on Lettuce's asynchronous API over the factory's (usually shared) connection: all calls are
 * written before any reply is awaited, so a batch costs one round trip. Spring's own pipelining would open
 * a dedicated connection per batch instead (a TCP and possibly TLS handshake each time, unless pooled).
 * On a cluster connection Lettuce routes each call to the node of its key.
 * <p>
 * With the factory's shared native connection (the default), the runner keeps that connection's command
 * interface and asks the factory again only once it is closed, unless the factory validates its connection
 * on every use: {@code getConnection()} takes the factory's lock on every call, and request threads queued
 * on it (seen with JFR under 16 concurrent HTTP clients).
 */
final class LettuceScriptRunner implements ScriptRunner {

	private final LettuceConnectionFactory factory;

	/** The deadline of one run, whatever Lettuce's own command timeout is (60s unless configured). */
	private final Duration timeout;

	/** The shared connection's commands, once known; replaced when that connection is closed (factory reset). */
	private volatile @Nullable RedisClusterAsyncCommands<byte[], byte[]> shared;

	private LettuceScriptRunner(LettuceConnectionFactory factory, Duration timeout) {
		this.factory = factory;
		this.timeout = timeout;
	}

	/** A runner for the factory with a deadline per run, or null if it is not a Lettuce factory. */
	static @Nullable LettuceScriptRunner forFactory(RedisConnectionFactory factory, Duration timeout) {
		return (factory instanceof LettuceConnectionFactory lettuce) ? new LettuceScriptRunner(lettuce, timeout)
				: null;
	}

	@Override
	public List<@Nullable Object> run(String action, List<ScriptCall> calls) {
		RedisClusterAsyncCommands<byte[], byte[]> current = this.shared;
		if (current != null && current.isOpen()) {
			return run(action, calls, current);
		}
		try (RedisConnection connection = this.factory.getConnection()) {
			return run(action, calls, remember(nativeCommands(connection)));
		}
		catch (DataAccessException ex) {
			throw ScriptRunner.failure(action, ex);
		}
	}

	/** Whether the factory's connection is a cluster one (Lettuce's cluster commands route by key). */
	@Override
	public boolean isCluster() {
		return this.factory.isClusterAware();
	}

	/** A factory that validates its shared connection on every use keeps doing so. */
	private RedisClusterAsyncCommands<byte[], byte[]> remember(RedisClusterAsyncCommands<byte[], byte[]> redis) {
		if (this.factory.getShareNativeConnection() && !this.factory.getValidateConnection()) {
			this.shared = redis;
		}
		return redis;
	}

	@Override
	public void sendWithoutReply(List<ScriptCall> calls) {
		RedisClusterAsyncCommands<byte[], byte[]> current = this.shared;
		if (current == null || calls.isEmpty()) {
			return;
		}
		// EVAL, not EVALSHA: a server that restarted meanwhile has no scripts cached, and no one reads a NOSCRIPT.
		for (ScriptCall call : calls) {
			current.eval(call.script().body(), outputType(call), call.keys(), call.args());
		}
	}

	@SuppressWarnings("unchecked")
	private static RedisClusterAsyncCommands<byte[], byte[]> nativeCommands(RedisConnection connection) {
		return (RedisClusterAsyncCommands<byte[], byte[]>) connection.getNativeConnection();
	}

	private List<@Nullable Object> run(String action, List<ScriptCall> calls,
			RedisClusterAsyncCommands<byte[], byte[]> redis) {
		long deadline = System.nanoTime() + this.timeout.toNanos();
		List<RedisFuture<Object>> replies = new ArrayList<>(calls.size());
		try {
			for (ScriptCall call : calls) {
				replies.add(redis.evalsha(call.script().sha1(), outputType(call), call.keys(),
						call.args()));
			}
			@Nullable Object[] results = new Object[calls.size()];
			List<Integer> unknownScript = new ArrayList<>();
			for (int i = 0; i < calls.size(); i++) {
				try {
					results[i] = await(replies.get(i), deadline);
				}
				catch (ExecutionException ex) {
					if (!ScriptRunner.isNoScript(ex.getCause())) {
						throw ScriptRunner.failure(action, ex.getCause());
					}
					unknownScript.add(i);
				}
			}
			if (!unknownScript.isEmpty()) {
				// The server lost its script cache: send the text, which also caches it again, in one more trip.
				List<RedisFuture<Object>> retried = new ArrayList<>(unknownScript.size());
				replies = retried;
				for (int i : unknownScript) {
					ScriptCall call = calls.get(i);
					retried.add(redis.eval(call.script().body(), outputType(call), call.keys(),
							call.args()));
				}
				for (int j = 0; j < retried.size(); j++) {
					results[unknownScript.get(j)] = awaitOrFail(action, retried.get(j), deadline);
				}
			}
			return Arrays.asList(results);
		}
		catch (RedisException ex) {
			throw ScriptRunner.failure(action, ex);
		}
		catch (TimeoutException ex) {
			// Lettuce would keep the commands queued (or, while reconnecting, buffered) until its own timeout.
			replies.forEach(reply -> reply.cancel(false));
			throw ScriptRunner.failure(action, new TimeoutException("no reply within the store timeout of "
					+ this.timeout.toMillis() + " ms"));
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw ScriptRunner.failure(action, ex);
		}
	}

	private static @Nullable Object awaitOrFail(String action, Future<Object> reply, long deadline)
			throws TimeoutException, InterruptedException {
		try {
			return await(reply, deadline);
		}
		catch (ExecutionException ex) {
			throw ScriptRunner.failure(action, ex.getCause());
		}
	}

	private static @Nullable Object await(Future<Object> reply, long deadline)
			throws ExecutionException, TimeoutException, InterruptedException {
		return reply.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
	}

	private static ScriptOutputType outputType(ScriptCall call) {
		return call.script().multiReply() ? ScriptOutputType.MULTI : ScriptOutputType.INTEGER;
	}

}
