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
