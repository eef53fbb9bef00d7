package dev.dedup.kafka.poll;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;

import org.apache.kafka.clients.consumer.ConsumerRecord;

import dev.dedup.core.engine.Claim;
import dev.dedup.core.engine.ClaimStatus;
import dev.dedup.core.store.DedupStoreException;
import dev.dedup.kafka.poll.DedupKafkaStats.Event;

/**
 * A batch of records claimed together by {@link PollDedup#claimBatch} (see {@link BatchClaiming}): each record's {@link Turn}, and its
 * claim until {@link #settle} completes or releases it. Records run in order up to the
 * {@linkplain #firstStop() first stop}, the first record that must wait or is rejected; what comes after it
 * is redelivered (the adapter seeks back to it) and claimed again then.
 */
public final class ClaimedBatch<K, V> {

	private final PollDedup poll;

	private final List<BatchEntry<K, V>> entries;

	/** The first record that must wait or is rejected; moved up by {@link #beginClaims} if a lease ran out. */
	private int firstStop;

	ClaimedBatch(PollDedup poll, List<BatchEntry<K, V>> entries) {
		this.poll = poll;
		this.entries = entries;
		int stop = entries.size();
		for (int i = 0; i < entries.size(); i++) {
			if (entries.get(i).turn.stops()) {
				stop = i;
				break;
			}
		}
		this.firstStop = stop;
	}

	/**
	 * The work of the records before the first stop starts now: their leases are renewed from here on. Claims
	 * after the stop are released at once, so that another consumer may take them while these records wait.
	 */
	void beginClaims() {
		for (int i = 0; i < this.entries.size(); i++) {
			BatchEntry<K, V> entry = this.entries.get(i);
			if (entry.claim == null || entry.claim.status() != ClaimStatus.ACQUIRED) {
				continue;
			}
			if (entry.afterStop) {
				entry.claim.release();
			}
			else if (!entry.claim.begin()) {
				// Only after a stall longer than the lease between claiming and here: claim it again on redelivery.
				entry.turn = Turn.waitFor("The claim of " + RecordKeys.describe(entry.record) + " ran out of lease",
						Duration.ZERO, null);
				this.firstStop = Math.min(this.firstStop, i);
			}
		}
	}

	public int size() {
		return this.entries.size();
	}

	public ConsumerRecord<K, V> record(int index) {
		return this.entries.get(index).record;
	}

	public Turn turn(int index) {
		return this.entries.get(index).turn;
	}

	/**
	 * The index of the first record that must wait or is rejected, or {@link #size()} when every record runs
	 * or is skipped. Records before it are acted on; from it on, the batch is redelivered.
	 */
	public int firstStop() {
		return this.firstStop;
	}

	/** The records to hand to the listener from those before {@code end}: the ones whose turn is to run. */
	public List<ConsumerRecord<K, V>> toRun(int end) {
		List<ConsumerRecord<K, V>> run = new ArrayList<>(end);
		for (int i = 0; i < end; i++) {
			if (this.entries.get(i).turn.kind() == Turn.Kind.RUN) {
				run.add(this.entries.get(i).record);
			}
		}
		return run;
	}

	/** The position of {@code record} in this batch (by topic, partition and offset), or -1. */
	public int indexOf(ConsumerRecord<?, ?> record) {
		for (int i = 0; i < this.entries.size(); i++) {
			if (RecordPositions.same(this.entries.get(i).record, record)) {
				return i;
			}
		}
		return -1;
	}

	/**
	 * The records before {@code doneEnd} ran: mark theirs CONSUMED, in one store call per retention. Every
	 * other claim still held is released, so their records are claimed again when redelivered. In the
	 * listener's transaction (claims that joined it), call it before the transaction commits.
	 * @throws DedupStoreException only for claims that joined a transaction (the caller rolls it back); other
	 * failed marks are counted and logged, and their entries expire with their leases
	 */
	public void settle(int doneEnd) {
		settle(i -> i < doneEnd);
	}

	/**
	 * As {@link #settle(int)}, but where the consumer's offset commits wait for the marks
	 * ({@link PollDedup#commitsFollowMarks()}) the marks go to the thread's background lane, many per store
	 * call, and the end of the poll sends them without waiting. Outside any transaction only.
	 */
	public void settleAfterSuccess(int doneEnd) {
		settle(i -> i < doneEnd, this.poll.marksInBackground());
	}

	/** As {@link #settle(int)}, for the records whose index {@code ran} accepts. */
	public void settle(IntPredicate ran) {
		settle(ran, false);
	}

	private void settle(IntPredicate ran, boolean background) {
		Map<Duration, List<BatchEntry<K, V>>> done = new LinkedHashMap<>();
		for (int i = 0; i < this.entries.size(); i++) {
			BatchEntry<K, V> entry = this.entries.get(i);
			if (entry.claim == null || !entry.claim.isOpen()) {
				continue;
			}
			if (ran.test(i)) {
				done.computeIfAbsent(entry.listener.retention(), retention -> new ArrayList<>()).add(entry);
			}
			else if (entry.claim.release()) {
				this.poll.stats().record(Event.RELEASED);
			}
		}
		done.forEach((retention, group) -> {
			if (background && !group.get(0).claim.joinsTransaction()) {
				group.forEach(entry -> this.poll.markInBackground(entry.claim, retention, entry.record));
				return;
			}
			List<Claim> claims = group.stream().map(entry -> entry.claim).toList();
			if (claims.get(0).joinsTransaction()) {
				List<Boolean> marked = this.poll.shared().engine().completeAll(claims, retention);
				if (marked.contains(false)) {
					throw new IllegalStateException("Could not mark every record of the batch CONSUMED in its "
							+ "transaction (a claim row is gone); rolling back so the batch is processed again");
				}
				return;
			}
			this.poll.countMarks(group.size(), group.size() + " records of a batch", () -> this.poll.shared().engine().completeAll(claims, retention));
		});
	}

	/**
	 * Marks the records handed to the listener CONSUMED in the current transaction, in one statement: the
	 * listener's own transaction, which covers its whole invocation. {@link #settle} then has nothing left
	 * to complete.
	 * @throws IllegalStateException if a claim was lost, to roll the transaction back
	 */
	void markInListenerTransaction() {
		Map<Duration, List<Claim>> byRetention = new LinkedHashMap<>();
		for (int i = 0; i < firstStop(); i++) {
			BatchEntry<K, V> entry = this.entries.get(i);
			if (entry.turn.kind() == Turn.Kind.RUN && entry.claim != null && entry.claim.isOpen()) {
				byRetention.computeIfAbsent(entry.listener.retention(), retention -> new ArrayList<>()).add(entry.claim);
			}
		}
		byRetention.forEach((retention, claims) -> {
			if (this.poll.shared().engine().completeAll(claims, retention).contains(false)) {
				throw new IllegalStateException("Could not mark every record of the batch CONSUMED in the "
						+ "listener's transaction (a lease was lost); rolling back so the batch is processed again");
			}
		});
	}

	/** Counts the records {@link #markInListenerTransaction()} marked, once their transaction committed. */
	void markedInListenerTransaction() {
		for (int i = 0; i < firstStop(); i++) {
			BatchEntry<K, V> entry = this.entries.get(i);
			if (entry.turn.kind() == Turn.Kind.RUN && entry.claim != null
					&& entry.claim.status() == ClaimStatus.ACQUIRED) {
				this.poll.stats().record(Event.COMPLETED);
			}
		}
	}

	/** The listener's transaction committed, with the marks {@link #settle} wrote in it. */
	public void committed() {
		this.entries.stream().filter(entry -> entry.claim != null && entry.claim.joinsTransaction()
				&& entry.turn.kind() == Turn.Kind.RUN).forEach(entry -> this.poll.stats().record(Event.COMPLETED));
	}

	/** The listener's transaction rolled back and took the claim rows written in it. */
	public void rolledBack() {
		for (BatchEntry<K, V> entry : this.entries) {
			if (entry.claim != null && entry.claim.joinsTransaction() && entry.claim.isOpen()) {
				entry.claim.rolledBack();
				this.poll.stats().record(Event.RELEASED);
			}
		}
	}

	/** Whether the claims of this batch were written in the listener's own transaction. */
	public boolean joinsTransaction() {
		return this.entries.stream().anyMatch(entry -> entry.claim != null && entry.claim.joinsTransaction());
	}

}
