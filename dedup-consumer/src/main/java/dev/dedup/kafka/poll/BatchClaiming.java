package dev.dedup.kafka.poll;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.dedup.core.engine.Claim;
import dev.dedup.core.key.InvalidMessageIdException;
import dev.dedup.core.store.DedupStoreException;
import dev.dedup.core.store.ForeignEntryException;
import dev.dedup.kafka.poll.DedupKafkaStats.Event;

/**
 * Claims a batch's records for {@link PollDedup#claimBatch}: builds each record's key, claims the keys in one
 * store call per lease, and decides each record's {@link Turn} up to the first stop, counting those turns.
 * What it hands back, a {@link ClaimedBatch}, settles the claims.
 */
final class BatchClaiming {

	private static final Logger log = LoggerFactory.getLogger(BatchClaiming.class);

	private BatchClaiming() {
	}

	/**
	 * @param stopsPerPartition whether a stop holds back only the rest of its own partition (the plain poll
	 * loop, which commits per partition) rather than the rest of the batch (a batch listener, whose offsets the
	 * container commits for the whole batch)
	 */
	static <K, V> ClaimedBatch<K, V> claim(PollDedup poll, ConsumerDedup shared, @Nullable String group,
			List<ConsumerRecord<K, V>> records, boolean stopsPerPartition) {
		List<BatchEntry<K, V>> entries = new ArrayList<>(records.size());
		Map<Terms, List<BatchEntry<K, V>>> toClaim = new LinkedHashMap<>();
		Set<String> seen = new HashSet<>();
		for (ConsumerRecord<K, V> record : records) {
			ListenerDedupSettings listener = shared.settings().resolve(group, record.topic());
			BatchEntry<K, V> entry = new BatchEntry<>(record, listener);
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
				toClaim.computeIfAbsent(new Terms(listener.lease(), listener.retention()), terms -> new ArrayList<>())
					.add(entry);
			}
		}
		claimAll(shared, toClaim);
		ClaimedBatch<K, V> batch = decide(poll, entries, stopsPerPartition);
		batch.beginClaims();
		return batch;
	}

	/**
	 * One store call per lease and retention (usually one), each a poll the batch's settle marks with one call;
	 * on a foreign entry, one call per record to find it.
	 */
	private static <K, V> void claimAll(ConsumerDedup shared, Map<Terms, List<BatchEntry<K, V>>> toClaim) {
		List<BatchEntry<K, V>> claimed = new ArrayList<>();
		try {
			toClaim.forEach((terms, group) -> {
				List<Claim> claims = shared.engine().claimPoll(group.stream().map(entry -> entry.key).toList(),
						terms.lease(), terms.retention());
				for (int i = 0; i < group.size(); i++) {
					group.get(i).claim = claims.get(i);
					claimed.add(group.get(i));
				}
			});
		}
		catch (DedupStoreException ex) {
			releaseAll(claimed);
			toClaim.values().forEach(group -> group.forEach(entry -> entry.turn = Turn.storeDown(entry.record, ex)));
		}
		catch (ForeignEntryException ex) {
			releaseAll(claimed);
			log.warn("A key of this batch holds an entry dedup did not write; claiming its records one at a time: {}",
					ex.getMessage());
			toClaim.forEach((terms, group) -> group.forEach(entry -> claimAlone(shared, entry, terms.lease())));
		}
	}

	/** The lease and retention of a group of claims. */
	private record Terms(Duration lease, Duration retention) {
	}

	private static <K, V> void claimAlone(ConsumerDedup shared, BatchEntry<K, V> entry, Duration lease) {
		try {
			entry.claim = shared.engine().claim(entry.key, lease);
		}
		catch (DedupStoreException ex) {
			entry.turn = Turn.storeDown(entry.record, ex);
		}
		catch (ForeignEntryException ex) {
			entry.turn = Turn.reject(ex);
		}
	}

	private static <K, V> void releaseAll(List<BatchEntry<K, V>> entries) {
		entries.forEach(entry -> {
			if (entry.claim != null) {
				entry.claim.release();
				entry.claim = null;
			}
		});
	}

	/** Turns for the claimed records; counts (and logs) the turns up to the first stop, the ones acted on. */
	private static <K, V> ClaimedBatch<K, V> decide(PollDedup poll, List<BatchEntry<K, V>> entries,
			boolean stopsPerPartition) {
		Set<Object> stopped = new HashSet<>();
		for (BatchEntry<K, V> entry : entries) {
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
			if (entry.turn.stops()) {
				stopped.add(scope);
			}
		}
		return new ClaimedBatch<>(poll, entries);
	}

	private static void countDecided(PollDedup poll, BatchEntry<?, ?> entry) {
		if (entry.turn.kind() == Turn.Kind.WAIT) {
			poll.stats().record(Event.STORE_UNAVAILABLE_RETRIED);
		}
		else if (entry.turn.cause() instanceof ForeignEntryException ex) {
			poll.stats().record(Event.FOREIGN_ENTRY_REJECTED);
			log.error("{} cannot be deduplicated and goes to the error handler: {}", RecordKeys.describe(entry.record),
					ex.getMessage());
		}
	}

}
