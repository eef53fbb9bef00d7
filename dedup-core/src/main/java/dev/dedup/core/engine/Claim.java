package dev.dedup.core.engine;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.dedup.core.Durations;
import dev.dedup.core.store.ClaimResult;
import dev.dedup.core.store.DedupStoreException;

/**
 * One caller's claim on one key, as returned by {@link DedupEngine#claim}. An {@link ClaimStatus#ACQUIRED}
 * claim renews its lease in the background until it is completed or released; exactly one of the two must
 * follow. Closing a claim that is still open releases it. A claim from {@link DedupEngine#claimAs} is
 * closed from the start and never renewed: its caller owns the entry, by key and owner.
 *
 * <p>A claim keeps its own state (open, lease lost, its renewal) and takes its store steps through the
 * engine's {@code ClaimSteps}; nothing in it calls back into the {@link DedupEngine}.
 */
public final class Claim implements AutoCloseable {

	private static final Logger log = LoggerFactory.getLogger(Claim.class);

	private final ClaimSteps steps;

	private final String key;

	private final String owner;

	private final ClaimStatus status;

	private final @Nullable ClaimResult storeAnswer;

	private final AtomicBoolean open;

	private final boolean joinsTransaction;

	private final AtomicBoolean leaseLost = new AtomicBoolean();

	private volatile LeaseRenewals.@Nullable Renewal renewal;

	/** For an acquired claim from {@link DedupEngine#claimPoll}: the poll's claims, else null. */
	private volatile @Nullable PollGroup poll;

	/** For a claim from {@link DedupEngine#claimAll} whose work has not begun: its lease, else null. */
	private @Nullable Duration beginLease;

	private long claimedAtNanos;

	/**
	 * @param open whether the claim holds its key for its own complete or release (an acquired claim, unless
	 * the caller owns the entry: {@link DedupEngine#claimAs})
	 */
	Claim(ClaimSteps steps, String key, String owner, ClaimStatus status, @Nullable ClaimResult storeAnswer,
			boolean joinsTransaction, boolean open) {
		this.steps = steps;
		this.joinsTransaction = joinsTransaction;
		this.key = key;
		this.owner = owner;
		this.status = status;
		this.storeAnswer = storeAnswer;
		this.open = new AtomicBoolean(open && status == ClaimStatus.ACQUIRED);
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
		if (this.joinsTransaction) {
			return true;
		}
		// Waited less than a renewal period: the key is held by construction. Longer: ask the store first.
		long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - this.claimedAtNanos);
		if (waited >= this.steps.renewPeriodMillis(lease)) {
			boolean held;
			try {
				held = this.steps.renew(this.key, this.owner, lease);
			}
			catch (DedupStoreException ex) {
				closeUnheld();
				throw ex;
			}
			if (!held) {
				closeUnheld();
				return false;
			}
		}
		renewFromNow(lease);
		return true;
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
		stopRenewal();
		boolean completed;
		try {
			completed = this.steps.complete(this.key, this.owner, retention, result, this.joinsTransaction);
		}
		catch (RuntimeException ex) {
			spoilPoll();
			throw ex;
		}
		completed(completed);
		return completed;
	}

	/**
	 * For a claim from {@link DedupEngine#claimPoll} whose work is done and whose mark waits for the end of
	 * its poll: stops renewing, since on a store that keeps one lease per poll
	 * ({@link dev.dedup.core.store.DedupStore#completesPollsInOneWrite()}) the poll's claims still running
	 * renew it for all. A no-op for any other claim, which renews until it is completed.
	 */
	public void awaitPollMark() {
		if (this.poll != null) {
			stopRenewal();
		}
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
		stopRenewal();
		Boolean deleted = this.steps.release(this.key, this.owner);
		if (deleted == null) {
			spoilPoll();
			return false;
		}
		settlePoll();
		return deleted;
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

	/** For a claim from {@link DedupEngine#claimAll}: its renewals wait for {@link #begin()}. */
	void awaitBegin(Duration lease, long claimedAtNanos) {
		if (this.status == ClaimStatus.ACQUIRED) {
			this.beginLease = lease;
			this.claimedAtNanos = claimedAtNanos;
		}
	}

	/** Renew the lease every renewal period from now until the claim is closed. */
	void renewFromNow(Duration lease) {
		this.renewal = this.steps.scheduleRenewal(() -> renewOnce(lease), lease);
	}

	/** For a claim from {@link DedupEngine#claimPoll}: the poll it belongs to. */
	void joinPoll(PollGroup group) {
		this.poll = group;
	}

	@Nullable
	PollGroup poll() {
		return this.poll;
	}

	/** Closes the claim for {@link DedupEngine#completeAll}, with the checks {@link #complete} makes. */
	void closeForCompletion() {
		closeOrFail("complete");
		stopRenewal();
	}

	/** The store's answer to this claim's completion: false means another owner holds or held the key. */
	void completed(boolean completed) {
		settlePoll();
		if (!completed) {
			this.leaseLost.set(true);
			log.warn("Lease on '{}' was lost before the work finished; another owner holds or held it, so the "
					+ "message may have been processed twice", this.key);
		}
	}

	private void renewOnce(Duration lease) {
		if (!this.open.get()) {
			stopRenewal();
			return;
		}
		try {
			// A renewal racing a completion sees the entry CONSUMED and answers false: not a lost lease.
			if (!this.steps.renew(this.key, this.owner, lease) && this.open.get()) {
				this.leaseLost.set(true);
				stopRenewal();
				log.warn("Lease on '{}' was lost while the work ran (it expired and was taken over)", this.key);
			}
		}
		catch (DedupStoreException ex) {
			log.warn("Could not renew the lease on '{}', will try again: {}", this.key, ex.getMessage());
		}
		catch (RuntimeException ex) {
			log.error("Unexpected failure renewing the lease on '{}'", this.key, ex);
		}
	}

	/** The store no longer holds the key for this claim (or cannot say): close it without a store call. */
	private void closeUnheld() {
		this.open.set(false);
		this.leaseLost.set(true);
		spoilPoll();
	}

	private void settlePoll() {
		PollGroup group = this.poll;
		if (group != null) {
			group.settled();
		}
	}

	/** A step of this claim could not say what the store holds: its poll can no longer be marked in one write. */
	void spoilPoll() {
		PollGroup group = this.poll;
		if (group != null) {
			group.spoil();
		}
	}

	private void stopRenewal() {
		LeaseRenewals.Renewal current = this.renewal;
		if (current != null) {
			current.cancel();
		}
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
