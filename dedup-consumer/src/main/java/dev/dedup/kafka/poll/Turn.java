package dev.dedup.kafka.poll;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jspecify.annotations.Nullable;

import dev.dedup.core.engine.StoreFailurePolicy;
import dev.dedup.core.store.DedupStoreException;

/**
 * What a record's turn is, as {@link PollDedup} decides it: run it, skip it (acknowledged without running),
 * wait (redeliver it later, without spending the error handler's retries), or reject it to the error handler.
 */
public record Turn(Kind kind, @Nullable String reason, Duration retryAfter, @Nullable RuntimeException cause) {

	static final Turn RUN = new Turn(Kind.RUN, null, Duration.ZERO, null);

	static final Turn SKIP = new Turn(Kind.SKIP, null, Duration.ZERO, null);

	private static final Duration MIN_WAIT = Duration.ofMillis(100);

	private static final Duration MAX_WAIT = Duration.ofSeconds(5);

	static Turn waitFor(String reason, Duration retryAfter, @Nullable RuntimeException cause) {
		return new Turn(Kind.WAIT, reason, retryAfter, cause);
	}

	/** Waits for another consumer's run: about its remaining lease, within 100 ms and 5 s. */
	static Turn waitForOther(String reason, Duration remainingLease) {
		Duration wait = remainingLease.compareTo(MIN_WAIT) < 0 ? MIN_WAIT
				: remainingLease.compareTo(MAX_WAIT) > 0 ? MAX_WAIT : remainingLease;
		return waitFor(reason, wait, null);
	}

	/** A record met while the store is down under fail-closed: it waits and is redelivered. */
	static Turn storeDown(ConsumerRecord<?, ?> record, DedupStoreException ex) {
		return waitFor("Dedup store unavailable (fail-closed); " + RecordKeys.describe(record)
				+ " will be redelivered: " + ex.getMessage(), StoreFailurePolicy.RETRY_AFTER, ex);
	}

	static Turn reject(RuntimeException cause) {
		return new Turn(Kind.REJECT, cause.getMessage(), Duration.ZERO, cause);
	}

	/** Whether the records from this one on must wait for a redelivery (it waits, or is rejected). */
	boolean stops() {
		return this.kind == Kind.WAIT || this.kind == Kind.REJECT;
	}

	/** A wait with ±25 % jitter, so that two consumers waiting for each other's batches do not meet again. */
	public static Duration jittered(Duration wait) {
		long millis = wait.toMillis();
		return Duration.ofMillis(millis * 3 / 4 + ThreadLocalRandom.current().nextLong(millis / 2 + 1));
	}

	public enum Kind {

		RUN, SKIP, WAIT, REJECT

	}

}
