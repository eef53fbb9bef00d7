package dev.dedup.redis;

import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;

import org.springframework.dao.DataAccessException;
import org.springframework.data.redis.connection.RedisClusterConnection;
import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.RedisScriptingCommands;
import org.springframework.data.redis.connection.ReturnType;

/**
 * Runs scripts through Spring's driver-neutral connection API, for factories other than Lettuce (Jedis). A
 * single call uses EVALSHA and falls back to EVAL; a batch is one Spring pipeline of EVALs, because a
 * NOSCRIPT error inside a pipeline only surfaces when the pipeline closes, after the other calls ran.
 */
final class ConnectionScriptRunner implements ScriptRunner {

	private final RedisConnectionFactory factory;

	private volatile @Nullable Boolean cluster;

	ConnectionScriptRunner(RedisConnectionFactory factory) {
		this.factory = factory;
	}

	@Override
	public List<@Nullable Object> run(String action, List<ScriptCall> calls) {
		try (RedisConnection connection = this.factory.getConnection()) {
			if (calls.size() == 1) {
				List<@Nullable Object> result = new ArrayList<>(1);
				result.add(runAlone(connection.scriptingCommands(), calls.get(0)));
				return result;
			}
			connection.openPipeline();
			for (ScriptCall call : calls) {
				connection.scriptingCommands().eval(call.script().body(), returnType(call), call.keys().length, call.keysAndArgs());
			}
			return new ArrayList<>(connection.closePipeline());
		}
		catch (DataAccessException ex) {
			throw ScriptRunner.failure(action, ex);
		}
	}

	private static @Nullable Object runAlone(RedisScriptingCommands scripting, ScriptCall call) {
		try {
			return scripting.evalSha(call.script().sha1(), returnType(call), call.keys().length, call.keysAndArgs());
		}
		catch (DataAccessException ex) {
			if (!ScriptRunner.isNoScript(ex)) {
				throw ex;
			}
			return scripting.eval(call.script().body(), returnType(call), call.keys().length, call.keysAndArgs());
		}
	}

	@Override
	public boolean isCluster() {
		Boolean known = this.cluster;
		if (known == null) {
			try (RedisConnection connection = this.factory.getConnection()) {
				known = connection instanceof RedisClusterConnection;
			}
			catch (DataAccessException ex) {
				throw ScriptRunner.failure("connect", ex);
			}
			this.cluster = known;
		}
		return known;
	}

	private static ReturnType returnType(ScriptCall call) {
		return call.script().multiReply() ? ReturnType.MULTI : ReturnType.INTEGER;
	}

}
