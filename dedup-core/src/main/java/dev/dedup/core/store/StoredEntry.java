package dev.dedup.core.store;

import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * What a store holds for one key, as read by {@link DedupStore#inspect(String)}: a snapshot, stale as soon
 * as it is returned. Use it to explain an answer after an atomic step refused (is that entry CONSUMED or
 * gone?), never to decide a step: that is what the atomic steps are for.
 *
 * @param state CONSUMING or CONSUMED
 * @param remainingTtl how long the entry still lives on the store's clock: the rest of the lease while
 * CONSUMING, of the retention once CONSUMED; {@link Duration#ZERO} when the store cannot tell
 * @param owner the owner id while CONSUMING; null once CONSUMED (owner ids are unique, not secret)
 * @param result the bytes stored with a CONSUMED entry, if any; null while CONSUMING
 */
public record StoredEntry(State state, Duration remainingTtl, @Nullable String owner, byte @Nullable [] result) {

	public StoredEntry {
		Objects.requireNonNull(state, "state");
		Objects.requireNonNull(remainingTtl, "remainingTtl");
		if (remainingTtl.isNegative()) {
			remainingTtl = Duration.ZERO;
		}
	}

	public static StoredEntry consuming(String owner, Duration remainingLease) {
		return new StoredEntry(State.CONSUMING, remainingLease, owner, null);
	}

	public static StoredEntry consumed(Duration remainingRetention, byte @Nullable [] result) {
		return new StoredEntry(State.CONSUMED, remainingRetention, null, result);
	}

	@Override
	public boolean equals(Object other) {
		return other instanceof StoredEntry that && this.state == that.state
				&& this.remainingTtl.equals(that.remainingTtl) && Objects.equals(this.owner, that.owner)
				&& Arrays.equals(this.result, that.result);
	}

	@Override
	public int hashCode() {
		return Objects.hash(this.state, this.remainingTtl, this.owner) * 31 + Arrays.hashCode(this.result);
	}

	@Override
	public String toString() {
		return "StoredEntry[" + this.state + ", ttl=" + this.remainingTtl + (this.owner != null ? ", owner="
				+ this.owner : "") + (this.result != null ? ", result=" + this.result.length + " bytes" : "") + "]";
	}

	/** The two states of the state machine; "none" is an empty {@code Optional}. */
	public enum State {

		/** Claimed by {@link StoredEntry#owner()}, whose lease runs for {@link StoredEntry#remainingTtl()}. */
		CONSUMING,

		/** Completed; remembered for {@link StoredEntry#remainingTtl()}. */
		CONSUMED

	}

}
