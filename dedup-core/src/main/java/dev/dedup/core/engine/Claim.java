package dev.dedup.core.engine;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicBoolean;

import org.jspecify.annotations.Nullable;

import dev.dedup.core.Durations;
import dev.dedup.core.store.ClaimResult;

/**
 * One caller's claim on one key, as returned by {@link DedupEngine#claim}. An {@link ClaimStatus#ACQUIRED}
 * claim renews its lease in the background until it is completed or released; exactly one of the two must
 * follow. Closing a claim that is still open releases it.
 */
public final class Claim implements AutoCloseable {

	private final DedupEngine engine;

	private final String key;

	private final String owner;

	private final ClaimStatus status;

	private final @Nullable ClaimResult storeAnswer;

	private final AtomicBoolean open;

	private final boolean joinsTransaction;

	private final AtomicBoolean leaseLost = new AtomicBoolean();

	private volatile @Nullable ScheduledFuture<?> renewal;

	/** For a claim from {@link DedupEngine#claimAll} whose work has not begun: its lease, else null. */
	private @Nullable Duration beginLease;

	private long claimedAtNanos;

	Claim(DedupEngine engine, String key, String owner, ClaimStatus status, @Nullable ClaimResult storeAnswer) {
		this(engine, key, owner, status, storeAnswer, false);
	}

	Claim(DedupEngine engine, String key, String owner, ClaimStatus status, @Nullable ClaimResult storeAnswer,
			boolean joinsTransaction) {
		this.engine = engine;
		this.joinsTransaction = joinsTransaction;
		this.key = key;
		this.owner = owner;
		this.status = status;
		this.storeAnswer = storeAnswer;
		this.open = new AtomicBoolean(status == ClaimStatus.ACQUIRED);
	}

	public String key() {
		return this.key;
	}

	/** The random owner id this claim wrote; other claims cannot change an entry carrying it. */
	public String owner() {
		return this.owner;
	}

	public ClaimStatus status() {
		return this.status;
	}

	/** For {@link ClaimStatus#IN_PROGRESS}: how long the other owner's lease still runs, if the store knows. */
	public Duration remainingLease() {
		return this.storeAnswer == null ? Duration.ZERO : this.storeAnswer.remainingLease();
	}

	/** For {@link ClaimStatus#DUPLICATE}: the result stored by the first run, if any. */
	public byte @Nullable [] storedResult() {
		return this.storeAnswer == null ? null : this.storeAnswer.result();
	}

	/** Whether a renewal found that the lease had been taken over while the work ran. */
	public boolean isLeaseLost() {
		return this.leaseLost.get();
	}

	/**
	 * Whether the store wrote this claim in the caller's own transaction (see
	 * {@link dev.dedup.core.store.DedupStore#joinsCurrentTransaction()}): then it is not renewed, it must be
	 * completed before that transaction commits, and {@link #rolledBack()} closes it after a rollback.
	 */
	public boolean joinsTransaction() {
		return this.joinsTransaction;
	}

	/** Whether this claim still holds its key (acquired, and neither completed nor released). */
	public boolean isOpen() {
		return this.open.get();
	}

	/**
	 * Say that the work of a claim from {@link DedupEngine#claimAll} starts now, so its lease is renewed from
	 * here on. A claim that waited longer than a third of its lease first checks with the store that it
	 * still holds the key (one round trip). A no-op for a claim already begun, or one from
	 * {@link DedupEngine#claim}, which renews from the start.
	 * @return true if the claim holds its key and the work may run; false if the lease ran out while the
	 * claim waited (the claim is closed: claim the key again)
	 * @throws dev.dedup.core.store.DedupStoreException if the store cannot say (the claim is closed, and its
	 * entry expires with the lease)
	 * @throws IllegalStateException if this claim did not acquire the key, or was already closed
	 */
	public boolean begin() {
		if (this.status == ClaimStatus.BYPASSED) {
			return true;
		}
		if (this.status != ClaimStatus.ACQUIRED || !this.open.get()) {
			throw new IllegalStateException("Cannot begin key '" + this.key + "': the claim was " + this.status
					+ (this.open.get() ? "" : " and is closed"));
		}
		Duration lease = this.beginLease;
		if (lease == null) {
			return true;
		}
		this.beginLease = null;
		return this.engine.begin(this, lease, this.claimedAtNanos);
	}

	/**
	 * Mark the work done: the key becomes CONSUMED for {@code retention}. A no-op for a bypassed claim.
	 * @return true if the key is now CONSUMED (or the claim was bypassed); false if the lease was lost to
	 * another owner, whose entry is left alone
	 * @throws dev.dedup.core.store.DedupStoreException if the store stayed unreachable through the retries;
	 * the claim is closed then, and its CONSUMING entry expires with the lease
	 * @throws IllegalStateException if this claim did not acquire the key, or was already closed
	 */
	public boolean complete(Duration retention) {
		return complete(retention, null);
	}

	/** As {@link #complete(Duration)}, storing {@code result} with the CONSUMED entry. */
	public boolean complete(Duration retention, byte @Nullable [] result) {
		if (this.status == ClaimStatus.BYPASSED) {
			return true;
		}
		Durations.requireAtLeastOneMilli(retention, "retention"); // before closing, so a bad argument loses nothing
		closeOrFail("complete");
		return this.engine.complete(this, retention, result);
	}

	/**
	 * Give the key up after failed work, so a redelivery can claim it at once. A no-op for a claim that did
	 * not acquire the key or was already closed: a claim never deletes an entry it does not own.
	 * @return true if the entry was deleted
	 */
	public boolean release() {
		if (!this.open.compareAndSet(true, false)) {
			return false;
		}
		return this.engine.release(this);
	}

	/**
	 * For a claim that {@link #joinsTransaction() joined} the caller's transaction: that transaction rolled
	 * back and took the entry with it, so close the claim without a store call (the transaction's connection
	 * is no longer usable for it). A no-op for a closed claim.
	 * @throws IllegalStateException for a claim that did not join a transaction
	 */
	public void rolledBack() {
		if (!this.joinsTransaction) {
			throw new IllegalStateException("Claim on '" + this.key + "' did not join a transaction; release it");
		}
		this.open.set(false);
	}

	@Override
	public void close() {
		release();
	}

	void awaitBegin(Duration lease, long claimedAtNanos) {
		if (this.status == ClaimStatus.ACQUIRED) {
			this.beginLease = lease;
			this.claimedAtNanos = claimedAtNanos;
		}
	}

	/** The store no longer holds the key for this claim (or cannot say): close it without a store call. */
	void closeUnheld() {
		this.open.set(false);
		markLeaseLost();
	}

	/** Closes the claim for {@link DedupEngine#completeAll}, with the checks {@link #complete} makes. */
	void closeForCompletion() {
		closeOrFail("complete");
		stopRenewal();
	}

	void startRenewal(ScheduledFuture<?> renewal) {
		this.renewal = renewal;
	}

	void stopRenewal() {
		ScheduledFuture<?> current = this.renewal;
		if (current != null) {
			current.cancel(false);
		}
	}

	void markLeaseLost() {
		this.leaseLost.set(true);
	}

	private void closeOrFail(String step) {
		if (this.status != ClaimStatus.ACQUIRED) {
			throw new IllegalStateException("Cannot " + step + " key '" + this.key + "': the claim was "
					+ this.status + ", not ACQUIRED");
		}
		if (!this.open.compareAndSet(true, false)) {
			throw new IllegalStateException("Cannot " + step + " key '" + this.key + "': the claim is closed");
		}
	}

	@Override
	public String toString() {
		return "Claim[" + this.key + ", " + this.status + (this.joinsTransaction ? ", in transaction" : "") + "]";
	}

}
