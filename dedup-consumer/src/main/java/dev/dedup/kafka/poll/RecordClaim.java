package dev.dedup.kafka.poll;

import java.time.Duration;

import org.apache.kafka.clients.consumer.ConsumerRecord;

import dev.dedup.core.engine.Claim;
import dev.dedup.kafka.poll.DedupKafkaStats.Event;

/**
 * The claim of the record a record listener is running, taken from {@link PollDedup#takeClaim}: exactly one
 * of complete, release or (in a transaction) roll back follows. Each step counts itself.
 */
public final class RecordClaim {

	private final PollDedup poll;

	private final ConsumerRecord<?, ?> record;

	private final Claim claim;

	private final Duration retention;

	private final boolean claimedWithPoll;

	/** Whether the listener's own transaction carries the mark (see {@link TransactionMarks}). */
	private boolean markedInListenerTransaction;

	RecordClaim(PollDedup poll, ConsumerRecord<?, ?> record, Claim claim, Duration retention,
			boolean claimedWithPoll) {
		this.poll = poll;
		this.record = record;
		this.claim = claim;
		this.retention = retention;
		this.claimedWithPoll = claimedWithPoll;
	}

	ConsumerRecord<?, ?> record() {
		return this.record;
	}

	Claim claim() {
		return this.claim;
	}

	Duration retention() {
		return this.retention;
	}

	boolean isFor(ConsumerRecord<?, ?> other) {
		return RecordPositions.same(this.record, other);
	}

	/** Whether the claim was written in the listener's own transaction (see {@link Claim#joinsTransaction()}). */
	public boolean joinsTransaction() {
		return this.claim.joinsTransaction();
	}

	/**
	 * Mark the record CONSUMED. A record claimed with its poll may be marked in the background when
	 * {@code background} allows it; the poll's offset commit (or {@link PollDedup#endPoll()}) waits for those marks.
	 */
	public void complete(boolean background) {
		if (this.markedInListenerTransaction) {
			return; // written in the listener's transaction, which committed
		}
		if (background && this.claimedWithPoll) {
			this.poll.completeInBackground(this);
			return;
		}
		this.poll.countMark(this.record, () -> this.claim.complete(this.retention));
	}

	/**
	 * Mark the record CONSUMED in the listener's transaction, just before it commits.
	 * @throws IllegalStateException if the claim row is gone, to roll the transaction back
	 */
	public void completeInTransaction() {
		if (!this.claim.complete(this.retention)) {
			throw new IllegalStateException("Could not mark " + RecordKeys.describe(this.record) + " CONSUMED in "
					+ "its transaction (the claim row is gone); rolling back so it is processed again");
		}
	}

	void markInListenerTransaction() {
		completeInTransaction();
		this.markedInListenerTransaction = true;
	}

	/** The transaction that {@link #completeInTransaction()} wrote the mark in has committed. */
	public void committed() {
		this.poll.stats().record(Event.COMPLETED);
	}

	/** The listener's transaction rolled back and took the claim row with it. */
	public void rolledBack() {
		this.claim.rolledBack();
		this.poll.stats().record(Event.RELEASED);
	}

	/** Give the id up after a failure, so a redelivery can claim it at once. */
	public void release() {
		if (this.claim.release()) {
			this.poll.stats().record(Event.RELEASED);
		}
	}

}
