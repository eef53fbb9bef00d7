package dev.dedup.redis;

import java.util.List;

import dev.dedup.core.store.DedupStoreException;
import org.jspecify.annotations.Nullable;

/**
 * Runs store scripts: one call alone, or many pipelined in one round trip, answering in order. An array
 * reply comes back as a {@code List} of {@code Long} and {@code byte[]}, an integer reply as a {@code Long}.
 */
interface ScriptRunner {

	/**
	 * @param action what the calls do, for the exception message ("claim 'key'", "claim 20 keys")
	 * @throws DedupStoreException if Redis cannot be reached or does not answer in time
	 */
	List<@Nullable Object> run(String action, List<ScriptCall> calls);

	/**
	 * Sends the calls without waiting for any reply, on the connection earlier calls went out on, so they run
	 * after those if the server ever gets them. Used to take back claims whose replies did not come in time:
	 * a frozen server that wakes up runs the claims, then these releases. Runners whose client enforces its
	 * own timeout (no commands left behind to run later) do nothing.
	 */
	default void sendWithoutReply(List<ScriptCall> calls) {
	}

	/** Whether the connection is to a Redis Cluster, where the keys of one script must share a hash slot. */
	boolean isCluster();

	/** Whether a failure from {@link #run} was the deadline passing, so the calls may still run later. */
	static boolean isTimeout(DedupStoreException failure) {
		return failure.getCause() instanceof java.util.concurrent.TimeoutException;
	}

	static DedupStoreException failure(String action, @Nullable Throwable cause) {
		String reason = (cause != null) ? cause.getMessage() : "unknown failure";
		return new DedupStoreException("Redis dedup store could not " + action + ": " + reason, cause);
	}

	/** Whether the server answered NOSCRIPT: its script cache is empty (restart, SCRIPT FLUSH, new node). */
	static boolean isNoScript(@Nullable Throwable failure) {
		for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
			String message = cause.getMessage();
			if (message != null && message.contains("NOSCRIPT")) {
				return true;
			}
		}
		return false;
	}

}
