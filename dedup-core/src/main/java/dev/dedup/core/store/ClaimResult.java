package dev.dedup.core.store;

import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * A store's answer to one claim.
 *
 * @param outcome what happened
 * @param remainingLease for {@link ClaimOutcome#IN_PROGRESS}: how long the other owner's lease still runs
 * (a hint for back-off; {@link Duration#ZERO} when the store cannot tell); otherwise zero
 * @param result for {@link ClaimOutcome#DUPLICATE}: the bytes stored with the CONSUMED entry, if any
 */
public record ClaimResult(ClaimOutcome outcome, Duration remainingLease, byte @Nullable [] result) {

	private static final ClaimResult ACQUIRED = new ClaimResult(ClaimOutcome.ACQUIRED, Duration.ZERO, null);

	public ClaimResult {
		Objects.requireNonNull(outcome, "outcome");
		Objects.requireNonNull(remainingLease, "remainingLease");
	}

	public static ClaimResult acquired() {
		return ACQUIRED;
	}

	public static ClaimResult duplicate(byte @Nullable [] result) {
		return new ClaimResult(ClaimOutcome.DUPLICATE, Duration.ZERO, result);
	}

	public static ClaimResult inProgress(Duration remainingLease) {
		return new ClaimResult(ClaimOutcome.IN_PROGRESS, remainingLease.isNegative() ? Duration.ZERO : remainingLease,
				null);
	}

	@Override
	public boolean equals(Object other) {
		return other instanceof ClaimResult that && this.outcome == that.outcome
				&& this.remainingLease.equals(that.remainingLease) && Arrays.equals(this.result, that.result);
	}

	@Override
	public int hashCode() {
		return Objects.hash(this.outcome, this.remainingLease) * 31 + Arrays.hashCode(this.result);
	}

	@Override
	public String toString() {
		return "ClaimResult[" + this.outcome + (this.outcome == ClaimOutcome.IN_PROGRESS ? ", remaining="
				+ this.remainingLease : "") + (this.result != null ? ", result=" + this.result.length + " bytes" : "")
				+ "]";
	}

}
