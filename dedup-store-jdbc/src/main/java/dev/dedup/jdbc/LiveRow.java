package dev.dedup.jdbc;

import java.time.Duration;

import org.jspecify.annotations.Nullable;

import dev.dedup.core.store.ClaimResult;

/** An unexpired row as the database showed it, with the remaining time computed by the database. */
record LiveRow(String state, @Nullable String owner, byte @Nullable [] result, long remainingMillis) {

	static final String CONSUMING = "C";

	static final String CONSUMED = "D";

	boolean isConsumingBy(String candidate) {
		return CONSUMING.equals(this.state) && candidate.equals(this.owner);
	}

	/** Whether this row is CONSUMED and still names {@code candidate}, the owner that marked it (MySQL batches). */
	boolean isConsumedBy(String candidate) {
		return CONSUMED.equals(this.state) && candidate.equals(this.owner);
	}

	/** What a claim that found this row and changed nothing answers. */
	ClaimResult answer() {
		return CONSUMED.equals(this.state) ? ClaimResult.duplicate(this.result)
				: ClaimResult.inProgress(Duration.ofMillis(Math.max(1, this.remainingMillis)));
	}

}
