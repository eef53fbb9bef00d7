package dev.dedup.kafka.poll;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntPredicate;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.dedup.core.engine.Claim;
import dev.dedup.core.engine.ClaimStatus;
import dev.dedup.core.key.InvalidMessageIdException;
import dev.dedup.core.store.DedupStoreException;
import dev.dedup.core.store.ForeignEntryException;
import dev.dedup.kafka.poll.DedupKafkaStats.Event;
import dev.dedup.kafka.poll.PollDedup.Turn;

/**
 * A batch of records claimed together by {@link PollDedup#claimBatch}: each record's {@link Turn}, and its
 * claim until {@link #settle} completes or releases it. Records run in order up to the
 * {@linkplain #firstStop() first stop}, the first record that must wait or is rejected; what comes after it
 * is redelivered (the adapter seeks back to it) and claimed again then.
 */
public final class ClaimedBatch<K, V> {

	private static final Logger log = LoggerFactory.getLogger(ClaimedBatch.class);

	private final PollDedup poll;

	private final List<Entry<K, V>> entries;

	/** The first record that must wait or is rejected; moved up by {@link #beginClaims} if a lease ran out. */
	private int firstStop;

	private ClaimedBatch(PollDedup poll, List<Entry<K, V>> entries) {
		this.poll = poll;
		this.entries = entries;
		int stop = entries.size();
		for (int i = 0; i < entries.size(); i++) {
			Turn.Kind kind = entries.get(i).turn.kind();
			if (kind == Turn.Kind.WAIT || kind == Turn.Kind.REJECT) {
				stop = i;
				break;
			}
		}
		this.firstStop = stop;
	}

	/**
	 * @param stopsPerPartition whether a stop holds back only the rest of its own partition (the plain poll
	 * loop, which commits per partition) rather than the rest of the batch (a batch listener, whose offsets the
	 * container commits for the whole batch)
	 */
	static <K, V> ClaimedBatch<K, V> claim(PollDedup poll, ConsumerDedup shared, @Nullable String group,
			List<ConsumerRecord<K, V>> records, boolean stopsPerPartition) {
		List<Entry<K, V>> entries = new ArrayList<>(records.size());
		Map<Duration, List<Entry<K, V>>> toClaim = new LinkedHashMap<>();
		Set<String> seen = new HashSet<>();
		for (ConsumerRecord<K, V> record : records) {
			ListenerDedupSettings listener = shared.settings().resolve(group, record.topic());
			Entry<K, V> entry = new Entry<>(record, listener);
			entries.add(entry);
			try {
				entry.key = shared.keys().keyFor(record, group, listener, poll.stats());
			}
			catch (InvalidMessageIdException ex) {
				entry.turn = Turn.reject(ex);
				continue;
			}
			if (entry.key == null) {
				entry.turn = Turn.RUN; // no id, and the policy runs it without dedup
			}
			else if (!seen.add(entry.key)) {
				entry.repeat = true; // an earlier record of the batch has the same id
			}
			else {
				toClaim.computeIfAbsent(listener.lease(), lease -> new ArrayList<>()).add(entry);
			}
		}
		claimAll(shared, toClaim);
		ClaimedBatch<K, V> batch = decide(poll, entries, stopsPerPartition);
		batch.beginClaims();
		return batch;
	}

	/** One store call per lease (usually one); on a foreign entry, one call per record to find it. */
	private static <K, V> void claimAll(ConsumerDedup shared, Map<Duration, List<Entry<K, V>>> toClaim) {
		List<Entry<K, V>> claimed = new ArrayList<>();
		try {
			toClaim.forEach((lease, group) -> {
				List<Claim> claims = shared.engine().claimAll(group.stream().map(entry -> entry.key).toList(), lease);
				for (int i = 0; i < group.size(); i++) {
					group.get(i).claim = claims.get(i);
					claimed.add(group.get(i));
				}
			});
		}
		catch (DedupStoreException ex) {
			releaseAll(claimed);
			toClaim.values().forEach(group -> group.forEach(entry -> entry.turn = storeDown(entry, ex)));
		}
		catch (ForeignEntryException ex) {
			releaseAll(claimed);
			log.warn("A key of this batch holds an entry dedup did not write; claiming its records one at a time: {}",
					ex.getMessage());
			toClaim.forEach((lease, group) -> group.forEach(entry -> claimAlone(shared, entry, lease)));
		}
	}

	private static <K, V> void claimAlone(ConsumerDedup shared, Entry<K, V> entry, Duration lease) {
		try {
			entry.claim = shared.engine().claim(entry.key, lease);
		}
		catch (DedupStoreException ex) {
			entry.turn = storeDown(entry, ex);
		}
		catch (ForeignEntryException ex) {
			entry.turn = Turn.reject(ex);
		}
	}

	private static Turn storeDown(Entry<?, ?> entry, DedupStoreException ex) {
		return PollDedup.storeDown(entry.record, ex);
	}

	private static <K, V> void releaseAll(List<Entry<K, V>> entries) {
		entries.forEach(entry -> {
			if (entry.claim != null) {
				entry.claim.release();
				entry.claim = null;
			}
		});
	}

	/** Turns for the claimed records; counts (and logs) the turns up to the first stop, the ones acted on. */
	private static <K, V> ClaimedBatch<K, V> decide(PollDedup poll, List<Entry<K, V>> entries,
			boolean stopsPerPartition) {
		Set<Object> stopped = new HashSet<>();
		for (Entry<K, V> entry : entries) {
			Object scope = stopsPerPartition ? entry.record.topic() + "\u0000" + entry.record.partition() : "batch";
			boolean beforeStop = !stopped.contains(scope);
			entry.afterStop = !beforeStop;
			if (entry.turn == null) {
				entry.turn = entry.repeat ? Turn.SKIP : poll.decide(entry.record, entry.claim, entry.listener, beforeStop);
				if (entry.repeat && beforeStop) {
					poll.stats().record(Event.DUPLICATE);
					log.debug("Skipping {}: its id repeats an earlier record of the batch", RecordKeys.describe(entry.record));
				}
			}
			else if (beforeStop) {
				countDecided(poll, entry);
			}
			Turn.Kind kind = entry.turn.kind();
			if (kind == Turn.Kind.WAIT || kind == Turn.Kind.REJECT) {
				stopped.add(scope);
			}
		}
		return new ClaimedBatch<>(poll, entries);
	}

	private static void countDecided(PollDedup poll, Entry<?, ?> entry) {
		if (entry.turn.kind() == Turn.Kind.WAIT) {
			poll.stats().record(Event.STORE_UNAVAILABLE_RETRIED);
		}
		else if (entry.turn.cause() instanceof ForeignEntryException ex) {
			poll.stats().record(Event.FOREIGN_ENTRY_REJECTED);
			log.error("{} cannot be deduplicated and goes to the error handler: {}", RecordKeys.describe(entry.record),
					ex.getMessage());
		}
	}

	/**
	 * The work of the records before the first stop starts now: their leases are renewed from here on. Claims
	 * after the stop are released at once, so that another consumer may take them while these records wait.
	 */
	private void beginClaims() {
		for (int i = 0; i < this.entries.size(); i++) {
			Entry<K, V> entry = this.entries.get(i);
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
		PollClaims.Position position = PollClaims.Position.of(record);
		for (int i = 0; i < this.entries.size(); i++) {
			if (PollClaims.Position.of(this.entries.get(i).record).equals(position)) {
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

	/** As {@link #settle(int)}, for the records whose index {@code ran} accepts. */
	public void settle(IntPredicate ran) {
		Map<Duration, List<Entry<K, V>>> done = new LinkedHashMap<>();
		for (int i = 0; i < this.entries.size(); i++) {
			Entry<K, V> entry = this.entries.get(i);
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
			Entry<K, V> entry = this.entries.get(i);
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
			Entry<K, V> entry = this.entries.get(i);
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
		for (Entry<K, V> entry : this.entries) {
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

	private static final class Entry<K, V> {

		final ConsumerRecord<K, V> record;

		final ListenerDedupSettings listener;

		@Nullable String key;

		boolean repeat;

		/** Whether an earlier record of its batch (or partition) must wait or is rejected. */
		boolean afterStop;

		@Nullable Claim claim;

		@Nullable Turn turn;

		Entry(ConsumerRecord<K, V> record, ListenerDedupSettings listener) {
			this.record = record;
			this.listener = listener;
		}

	}

}
