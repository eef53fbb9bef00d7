package dev.dedup.kafka.poll;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.jspecify.annotations.Nullable;

import dev.dedup.core.engine.Claim;
import dev.dedup.core.engine.DedupEngine;
import dev.dedup.core.store.DedupStoreException;
import dev.dedup.core.store.ForeignEntryException;

/**
 * One consumer thread's claims made ahead for the rest of its current poll, and the completions it handed
 * to its {@link CompletionLane} and has not yet waited for. Confined to that thread.
 */
final class PollClaims {

	private final CompletionLane lane;

	/** Claims whose record has not come up yet, by topic, partition and offset. */
	private final Map<Position, Ahead> waiting = new HashMap<>();

	private final List<Completion> completions = new ArrayList<>();

	/** The poll claimed ahead, compared by identity: each poll is claimed ahead at most once. */
	private @Nullable ConsumerRecords<?, ?> claimedPoll;

	PollClaims(CompletionLane lane) {
		this.lane = lane;
	}

	CompletionLane lane() {
		return this.lane;
	}

	boolean hasClaimedAhead(ConsumerRecords<?, ?> poll) {
		return this.claimedPoll == poll;
	}

	/**
	 * Claims the ids of {@code first} and the records after it in the poll, in one store call per lease.
	 * Records without a key ({@code keyOf} answers null), and repeats of a key, are left to be claimed at
	 * their turn.
	 * @throws DedupStoreException if the store is down (fail-closed); nothing is kept claimed then
	 * @throws ForeignEntryException if a key of the poll holds an entry dedup did not write; nothing is kept
	 * claimed then
	 */
	void claimAhead(ConsumerRecords<?, ?> poll, ConsumerRecord<?, ?> first, DedupEngine engine,
			Function<ConsumerRecord<?, ?>, @Nullable KeyAndLease> keyOf) {
		Position start = Position.of(first);
		Map<Duration, Map<String, Slot>> byLease = new LinkedHashMap<>();
		Set<String> seen = new HashSet<>();
		boolean started = false;
		for (ConsumerRecord<?, ?> record : poll) {
			started = started || Position.of(record).equals(start);
			KeyAndLease key = started ? keyOf.apply(record) : null;
			if (key != null && seen.add(key.key())) {
				byLease.computeIfAbsent(key.lease(), lease -> new LinkedHashMap<>()).put(key.key(),
						new Slot(Position.of(record), key.fromId()));
			}
		}
		Map<Position, Ahead> claimed = new HashMap<>();
		try {
			byLease.forEach((lease, slots) -> {
				List<String> keys = new ArrayList<>(slots.keySet());
				List<Claim> answers = engine.claimAll(keys, lease);
				for (int i = 0; i < keys.size(); i++) {
					Slot slot = slots.get(keys.get(i));
					claimed.put(slot.position(), new Ahead(answers.get(i), slot.fromId()));
				}
			});
		}
		catch (DedupStoreException | ForeignEntryException ex) {
			claimed.values().forEach(ahead -> ahead.claim().release()); // an earlier lease group's; claimed again
			throw ex;
		}
		this.claimedPoll = poll;
		this.waiting.putAll(claimed);
	}

	/** Nothing is claimed ahead for this poll: each of its records is claimed at its turn. */
	void claimNothingAhead(ConsumerRecords<?, ?> poll) {
		this.claimedPoll = poll;
	}

	/** The claim made ahead for this record, if it was made for the same key. */
	@Nullable Claim take(ConsumerRecord<?, ?> record, String key) {
		Ahead ahead = this.waiting.remove(Position.of(record));
		if (ahead != null && !ahead.claim().key().equals(key)) {
			ahead.claim().release(); // the id resolver answered differently this time; claim the new key on its own
			return null;
		}
		return (ahead != null) ? ahead.claim() : null;
	}

	/**
	 * The claim made ahead for this record under a key made of its id, so the caller need not resolve the id
	 * again (the poll's keys were found when it was claimed); null otherwise, and then nothing is taken.
	 */
	@Nullable Claim takeIfKeyedById(ConsumerRecord<?, ?> record) {
		Position position = Position.of(record);
		Ahead ahead = this.waiting.remove(position); // one lookup for the usual case, a key made of the id
		if (ahead != null && !ahead.fromId()) {
			this.waiting.put(position, ahead);
			return null;
		}
		return (ahead != null) ? ahead.claim() : null;
	}

	void completing(ConsumerRecord<?, ?> record, CompletableFuture<Boolean> done) {
		this.completions.add(new Completion(record, done));
	}

	/** Completions handed over since the last call; the caller waits for them. */
	List<Completion> takeCompletions() {
		if (this.completions.isEmpty()) {
			return List.of();
		}
		List<Completion> taken = new ArrayList<>(this.completions);
		this.completions.clear();
		return taken;
	}

	/** Forget the poll; the claims whose records never came up are returned, for the caller to release. */
	List<Claim> endPoll() {
		this.claimedPoll = null;
		List<Claim> unused = new ArrayList<>(this.waiting.size());
		this.waiting.values().forEach(ahead -> unused.add(ahead.claim()));
		this.waiting.clear();
		return unused;
	}

	record Position(String topic, int partition, long offset) {

		static Position of(ConsumerRecord<?, ?> record) {
			return new Position(record.topic(), record.partition(), record.offset());
		}

	}

	/** A mark handed to the lane; the record is described only if its mark fails. */
	record Completion(ConsumerRecord<?, ?> record, CompletableFuture<Boolean> done) {
	}

	/** A key to claim ahead; {@code fromId}: made of the record's id (see {@link RecordKeys.QuietKey}). */
	record KeyAndLease(String key, Duration lease, boolean fromId) {
	}

	private record Slot(Position position, boolean fromId) {
	}

	private record Ahead(Claim claim, boolean fromId) {
	}

}
