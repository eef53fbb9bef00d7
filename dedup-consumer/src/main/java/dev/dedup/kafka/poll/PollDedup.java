package dev.dedup.kafka.poll;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.dedup.core.engine.Claim;
import dev.dedup.core.engine.ClaimStatus;
import dev.dedup.core.store.DedupStoreException;
import dev.dedup.core.store.ForeignEntryException;
import dev.dedup.kafka.poll.DedupKafkaStats.Event;

/**
 * One consumer thread's dedup of its polls: the one place that claims records, decides per record whether
 * it runs, is skipped or waits, and writes marks and releases. Each adapter maps it onto its protocol:
 * {@code DedupRecordInterceptor} a record at a time, {@code DedupBatchInterceptor} and {@link DedupPollLoop}
 * a whole batch ({@link #claimBatch}). Confined to its thread; get it from
 * {@link ConsumerDedup#forCurrentThread()}.
 *
 * <p>Record at a time, a poll can be claimed ahead in one store call when the adapter can see it, and
 * marks then go to a background {@link CompletionLane}; the poll's offset commit waits for them
 * ({@link #commitsFollowMarks()}), or else {@link #endPoll()} does.
 *
 * <p>Somewhat over 300 lines on purpose: the record and batch entry points share one thread's state (the
 * claims made ahead, the marks in flight, the held batches) and one status-to-turn mapping, and splitting
 * them would let the two drift. The batch's own claiming is in {@link BatchClaiming}.
 */
public final class PollDedup {

	private static final Logger log = LoggerFactory.getLogger(PollDedup.class);

	private final ConsumerDedup shared;

	private final PollClaims ahead = new PollClaims();

	/** Writes the marks of records claimed with their poll in the background. */
	private final CompletionLane lane;

	/** The claim of the record the listener is running, record at a time. */
	private @Nullable RecordClaim active;

	private final HeldBatches batches = new HeldBatches();

	/** Whether this thread's container commits inside a poll, so each mark is written before the next record. */
	private boolean marksEachRecord;

	/**
	 * Whether this thread's consumer holds each offset commit back until the marks handed over before it are
	 * written ({@code CommitsAfterMarks}), so the end of a poll need not wait for them.
	 */
	private boolean commitsFollowMarks;

	private @Nullable String countedGroup;

	private @Nullable String listenerId;

	private DedupKafkaStats.@Nullable GroupCounts counts;

	PollDedup(ConsumerDedup shared, CompletionLane lane) {
		this.shared = shared;
		this.lane = lane;
	}

	/** Set by the adapter for a container whose AckMode commits inside a poll. */
	public void marksEachRecord(boolean marksEachRecord) {
		this.marksEachRecord = marksEachRecord;
	}

	public boolean marksEachRecord() {
		return this.marksEachRecord;
	}

	/**
	 * Set by the consumer's {@code CommitsAfterMarks} as it polls: its offset commits wait for the marks
	 * handed over before them, so {@link #endPoll()} sends the marks and moves on.
	 */
	public void commitsFollowMarks() {
		this.commitsFollowMarks = true;
	}

	/** How many background marks this thread has handed over so far: a watermark for {@link #marksWrittenThrough}. */
	public long marksHandedOver() {
		return this.lane.handedOver();
	}

	/** Whether the first {@code handedOver} background marks are settled (written, or their failure recorded). */
	public boolean marksWrittenThrough(long handedOver) {
		return this.lane.settledThrough(handedOver);
	}

	/** The counts of the group this thread consumes for (a consumer thread belongs to one container, one group). */
	DedupKafkaStats.GroupCounts stats() {
		DedupKafkaStats.GroupCounts counts = this.counts;
		return (counts != null) ? counts : this.shared.stats().group(this.countedGroup, this.listenerId);
	}

	/** Set by the container's rebalance callback: the listener this consumer thread serves, for the meters. */
	public void servesListener(String listenerId) {
		if (!listenerId.equals(this.listenerId)) {
			this.listenerId = listenerId;
			this.counts = null;
		}
	}

	private void consumesFor(@Nullable String group) {
		DedupKafkaStats.GroupCounts counts = this.counts;
		if (counts == null || !Objects.equals(group, this.countedGroup)) {
			this.countedGroup = group;
			this.counts = this.shared.stats().group(group, this.listenerId);
		}
	}

	ConsumerDedup shared() {
		return this.shared;
	}

	// ---- record at a time ----------------------------------------------------------------------------

	/**
	 * Decide one record's turn, claiming it (or taking the claim made ahead for it with its poll).
	 * @param poll the record's poll, to claim in one store call with its first record; null to claim the
	 * record on its own (no poll visible, a transaction, or batching off)
	 * @throws ForeignEntryException if its key holds an entry dedup did not write
	 * @throws dev.dedup.core.key.InvalidMessageIdException if it has no usable id and the policy rejects it
	 */
	public Turn claimRecord(ConsumerRecord<?, ?> record, @Nullable String group, @Nullable ConsumerRecords<?, ?> poll) {
		consumesFor(group);
		releaseLeftover();
		ListenerDedupSettings listener = this.shared.settings().resolve(group, record.topic());
		// Claimed ahead under its id's key: the key was found when the poll was claimed, no need to again.
		Claim keyedAhead = (poll != null && this.ahead.hasClaimedAhead(poll)) ? this.ahead.takeIfKeyedById(record)
				: null;
		String key = (keyedAhead != null) ? keyedAhead.key()
				: this.shared.keys().keyFor(record, group, listener, stats());
		if (key == null) {
			return Turn.RUN;
		}
		Claim claim;
		boolean batched;
		try {
			Claim claimedAhead = (keyedAhead != null) ? begun(keyedAhead)
					: (poll == null) ? null : claimedAhead(poll, record, key, group);
			batched = claimedAhead != null;
			claim = batched ? claimedAhead : claimNow(key, listener);
		}
		catch (DedupStoreException ex) {
			stats().record(Event.STORE_UNAVAILABLE_RETRIED);
			return Turn.storeDown(record, ex);
		}
		catch (ForeignEntryException ex) {
			// Like a poison payload: the error handler's retries, then its recoverer (a DLT, if configured).
			stats().record(Event.FOREIGN_ENTRY_REJECTED);
			log.error("{} cannot be deduplicated and goes to the error handler: {}", RecordKeys.describe(record),
					ex.getMessage());
			throw ex;
		}
		Turn turn = decide(record, claim, listener, true);
		if (turn == Turn.RUN && claim.status() == ClaimStatus.ACQUIRED) {
			this.active = new RecordClaim(this, record, claim, listener.retention(), batched);
		}
		return turn;
	}

	/**
	 * Maps a claim's status to a turn, the one mapping every adapter uses; {@code count} counts and logs it
	 * (a batch counts only the records up to its first stop, which are the ones it acts on).
	 */
	Turn decide(ConsumerRecord<?, ?> record, Claim claim, ListenerDedupSettings listener, boolean count) {
		return switch (claim.status()) {
			case ACQUIRED -> {
				count(count, Event.ACQUIRED);
				if (count && log.isDebugEnabled()) {
					log.debug("Running {} (key {} claimed)", RecordKeys.describe(record), claim.key());
				}
				yield Turn.RUN;
			}
			case BYPASSED -> {
				count(count, Event.STORE_UNAVAILABLE_BYPASSED);
				yield Turn.RUN;
			}
			case DUPLICATE -> {
				count(count, Event.DUPLICATE);
				if (count && log.isDebugEnabled()) {
					log.debug("Skipping duplicate {} (key {})", RecordKeys.describe(record), claim.key());
				}
				yield Turn.SKIP;
			}
			case IN_PROGRESS -> {
				if (listener.onInProgress() == InProgressPolicy.SKIP) {
					count(count, Event.IN_PROGRESS_SKIPPED);
					if (count) {
						log.debug("Skipping {}: key {} is being processed elsewhere", RecordKeys.describe(record),
								claim.key());
					}
					yield Turn.SKIP;
				}
				count(count, Event.IN_PROGRESS_RETRIED);
				yield Turn.waitForOther("Key " + claim.key() + " of " + RecordKeys.describe(record)
						+ " is being processed by another consumer; will retry", claim.remainingLease());
			}
		};
	}

	/**
	 * The claim made ahead for this record when its poll was claimed in one call (claiming the poll now if
	 * this is its first record). Null means "claim it now on its own": the record was not claimed ahead, or
	 * its claim ran out of lease while it waited.
	 */
	private @Nullable Claim claimedAhead(ConsumerRecords<?, ?> poll, ConsumerRecord<?, ?> record, String key,
			@Nullable String group) {
		if (!this.ahead.hasClaimedAhead(poll)) {
			try {
				this.ahead.claimAhead(poll, record, this.shared.engine(), next -> {
					ListenerDedupSettings listener = this.shared.settings().resolve(group, next.topic());
					RecordKeys.QuietKey nextKey = this.shared.keys().quietKeyFor(next, group, listener);
					return nextKey == null ? null
							: new PollClaims.KeyAndLease(nextKey.key(), listener.lease(), listener.retention(),
									nextKey.fromId());
				});
			}
			catch (ForeignEntryException ex) {
				// Claimed one at a time, only the record whose key holds the foreign entry fails.
				log.warn("A key of this poll holds an entry dedup did not write; claiming its records one at a "
						+ "time: {}", ex.getMessage());
				this.ahead.claimNothingAhead(poll);
				return null;
			}
		}
		Claim claim = this.ahead.take(record, key);
		return (claim != null) ? begun(claim) : null;
	}

	/** A claim made ahead, now that its record's turn came; null if its lease ran out meanwhile. */
	private static @Nullable Claim begun(Claim claim) {
		return claim.status() != ClaimStatus.ACQUIRED || claim.begin() ? claim : null;
	}

	private void count(boolean count, Event event) {
		if (count) {
			stats().record(event);
		}
	}

	/** Claims one record's key, after the marks handed over so far are written (a repeat must see them). */
	private Claim claimNow(String key, ListenerDedupSettings listener) {
		awaitMarks();
		return this.shared.engine().claim(key, listener.lease());
	}

	/**
	 * The claim this thread holds for {@code record}, handed to the caller, who completes or releases it;
	 * null if the record was skipped, ran unprotected, or is not the record being run.
	 */
	public @Nullable RecordClaim takeClaim(ConsumerRecord<?, ?> record) {
		RecordClaim claim = this.active;
		if (claim == null || !claim.isFor(record)) {
			return null; // another record's claim; it is settled by that record's own callbacks
		}
		this.active = null;
		return claim;
	}

	/**
	 * The record failed: release its claim, and wait for the marks handed to the background so far, since
	 * the container may commit the offsets before the failed record when it handles the error.
	 */
	public void recordFailed(ConsumerRecord<?, ?> record) {
		RecordClaim claim = takeClaim(record);
		if (claim != null) {
			claim.release();
		}
		awaitMarks();
	}

	/**
	 * The end of a poll's processing, before its offsets are committed: release a claim neither completed nor
	 * released and the claims made ahead for records that never came up, then wait for the marks handed to
	 * the background; or, where the consumer's commits wait for them ({@link #commitsFollowMarks()}), send them
	 * and move on to the next poll while they are written. Released first, so that the marks are all the poll
	 * still holds: a store that completes a poll in one write
	 * ({@link dev.dedup.core.store.DedupStore#completesPollsInOneWrite()}) can then.
	 */
	public void endPoll() {
		releaseLeftover();
		for (Claim unused : this.ahead.endPoll()) {
			unused.release();
		}
		if (this.commitsFollowMarks) {
			this.lane.sendNow();
			countSettledMarks();
		}
		else {
			awaitMarks();
		}
	}

	private void releaseLeftover() {
		RecordClaim leftover = this.active;
		if (leftover != null) {
			this.active = null;
			leftover.claim().release();
		}
	}

	/** Waits for the marks handed to the background lane, counting how they went. */
	public void awaitMarks() {
		count(this.lane.awaitAll());
	}

	/**
	 * Counts how the background marks settled so far went, without waiting for the rest: called at the end of
	 * a poll and, by {@code CommitsAfterMarks}, at every poll, so an idle consumer's meters catch up too.
	 */
	public void countSettledMarks() {
		count(this.lane.collect());
	}

	private void count(CompletionLane.Outcomes outcomes) {
		stats().record(Event.COMPLETED, outcomes.completed());
		stats().record(Event.LEASE_LOST, outcomes.lost());
		outcomes.failed().forEach(failed -> markFailed(failed.record(), failed.cause()));
	}

	void completeInBackground(RecordClaim claim) {
		markInBackground(claim.claim(), claim.retention(), claim.record());
	}

	void markInBackground(Claim claim, Duration retention, ConsumerRecord<?, ?> record) {
		this.lane.submit(claim, retention, record);
	}

	/** Whether a batch's marks may go to the background: the consumer's commits wait for them. */
	boolean marksInBackground() {
		return this.commitsFollowMarks;
	}

	/** Counts how marking a processed record CONSUMED went; a store that could not be told is only logged. */
	void countMark(ConsumerRecord<?, ?> record, BooleanSupplier mark) {
		try {
			stats().record(mark.getAsBoolean() ? Event.COMPLETED : Event.LEASE_LOST);
		}
		catch (DedupStoreException ex) {
			markFailed(record, ex);
		}
	}

	/**
	 * A processed record's mark failed: the side effect happened and the offset will be committed; the
	 * CONSUMING entry expires with its lease. Only a resend of this id after that would run again.
	 */
	private void markFailed(ConsumerRecord<?, ?> record, DedupStoreException ex) {
		stats().record(Event.COMPLETE_FAILED);
		log.error("{} was processed but could not be marked CONSUMED in the dedup store: {}",
				RecordKeys.describe(record), ex.getMessage());
	}

	/** As {@link #countMark}, for {@code count} records marked in one store call. */
	void countMarks(int count, String records, Supplier<List<Boolean>> marks) {
		try {
			marks.get().forEach(marked -> stats().record(marked ? Event.COMPLETED : Event.LEASE_LOST));
		}
		catch (DedupStoreException ex) {
			stats().record(Event.COMPLETE_FAILED, count);
			log.error("{} were processed but could not be marked CONSUMED in the dedup store: {}", records,
					ex.getMessage());
		}
	}

	// ---- a whole batch -------------------------------------------------------------------------------

	/**
	 * Claims a batch's records in one store call per lease and decides each record's turn: a record whose id
	 * repeats an earlier record of the batch is skipped, and a record the missing-id policy rejects or whose
	 * key holds an entry dedup did not write is {@link Turn.Kind#REJECT rejected}. A store that is down
	 * (fail-closed) makes every record wait. The caller runs the records before the batch's
	 * {@linkplain ClaimedBatch#firstStop() first stop} and settles every claim through the batch.
	 */
	public <K, V> ClaimedBatch<K, V> claimBatch(@Nullable String group, List<ConsumerRecord<K, V>> records) {
		consumesFor(group);
		releaseLeftover();
		if (!this.commitsFollowMarks) {
			awaitMarks();
		}
		return BatchClaiming.claim(this, this.shared, group, records, false);
	}

	/** As {@link #claimBatch}, where a stop holds back only the rest of its own partition (a plain poll loop). */
	<K, V> ClaimedBatch<K, V> claimPartitions(@Nullable String group, List<ConsumerRecord<K, V>> records) {
		awaitMarks();
		return BatchClaiming.claim(this, this.shared, group, records, true);
	}

	/**
	 * The listener has begun a transaction that covers its whole invocation (a {@code @Transactional}
	 * listener method) on the store's DataSource: its record's or batch's marks can be written in it.
	 * @return the marks to write just before that transaction commits, or null if nothing is running
	 */
	public @Nullable TransactionMarks marksForListenerTransaction() {
		if (this.active != null) {
			return TransactionMarks.of(this.active);
		}
		ClaimedBatch<?, ?> running = this.batches.running();
		return running == null ? null : TransactionMarks.of(running);
	}

	/** The batches of this thread's batch listener: the one running, and one that stopped. */
	public HeldBatches batches() {
		return this.batches;
	}

}
