package dev.dedup.kafka.poll;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.jspecify.annotations.Nullable;

import dev.dedup.core.engine.Claim;
import dev.dedup.core.engine.DedupEngine;
import dev.dedup.core.store.DedupStoreException;
import dev.dedup.core.store.ForeignEntryException;

/**
 * One consumer thread's claims made ahead for the rest of its current poll. Confined to that thread.
 *
 * <p>The claims are kept in the poll's own order, and the container hands the records over in that order,
 * so a record finds its claim at a cursor: no map, and no object per record beyond the claim (a map keyed by
 * topic, partition and offset cost an allocation and three hashes per record). A record that comes up out
 * of order is looked for from the start.
 */
final class PollClaims {

	/** The records from the first one claimed ahead on, in poll order; null when no poll is claimed ahead. */
	private ConsumerRecord<?, ?> @Nullable [] records;

	/** The claim made ahead for {@code records[i]}, null once taken or if none was made for it. */
	private @Nullable Ahead @Nullable [] claims;

	/** Where the next record's claim is expected. */
	private int cursor;

	/** The poll claimed ahead, compared by identity: each poll is claimed ahead at most once. */
	private @Nullable ConsumerRecords<?, ?> claimedPoll;

	boolean hasClaimedAhead(ConsumerRecords<?, ?> poll) {
		return this.claimedPoll == poll;
	}

	/**
	 * Claims the ids of {@code first} and the records after it in the poll, in one store call per lease and
	 * retention, as a poll ({@link DedupEngine#claimPoll}).
	 * Records without a key ({@code keyOf} answers null), and repeats of a key, are left to be claimed at
	 * their turn.
	 * @throws DedupStoreException if the store is down (fail-closed); nothing is kept claimed then
	 * @throws ForeignEntryException if a key of the poll holds an entry dedup did not write; nothing is kept
	 * claimed then
	 */
	void claimAhead(ConsumerRecords<?, ?> poll, ConsumerRecord<?, ?> first, DedupEngine engine,
			Function<ConsumerRecord<?, ?>, @Nullable KeyAndLease> keyOf) {
		endPoll().forEach(Claim::release); // an earlier poll's, if its end was never reported; none as a rule
		List<ConsumerRecord<?, ?>> rest = new ArrayList<>(poll.count());
		for (ConsumerRecord<?, ?> record : poll) {
			if (!rest.isEmpty() || RecordPositions.same(record, first)) {
				rest.add(record);
			}
		}
		// Usually one lease and retention for the whole poll: one group, one store call.
		Map<List<Duration>, LeaseGroup> byTerms = new LinkedHashMap<>();
		Set<String> seen = new HashSet<>(2 * rest.size());
		Ahead[] claimed = new Ahead[rest.size()];
		for (int i = 0; i < rest.size(); i++) {
			KeyAndLease key = keyOf.apply(rest.get(i));
			if (key != null && seen.add(key.key())) {
				byTerms.computeIfAbsent(List.of(key.lease(), key.retention()), terms -> new LeaseGroup(rest.size()))
					.add(key, i);
			}
		}
		try {
			byTerms.forEach((terms, group) -> {
				List<Claim> answers = engine.claimPoll(group.keys, terms.get(0), terms.get(1));
				for (int k = 0; k < answers.size(); k++) {
					claimed[group.indexes[k]] = new Ahead(answers.get(k), group.fromId[k]);
				}
			});
		}
		catch (DedupStoreException | ForeignEntryException ex) {
			for (Ahead ahead : claimed) {
				if (ahead != null) {
					ahead.claim().release(); // an earlier lease group's; claimed again at its turn
				}
			}
			throw ex;
		}
		this.claimedPoll = poll;
		this.records = rest.toArray(new ConsumerRecord<?, ?>[0]);
		this.claims = claimed;
		this.cursor = 0;
	}

	/** Nothing is claimed ahead for this poll: each of its records is claimed at its turn. */
	void claimNothingAhead(ConsumerRecords<?, ?> poll) {
		forget();
		this.claimedPoll = poll;
	}

	/** The claim made ahead for this record, if it was made for the same key. */
	@Nullable Claim take(ConsumerRecord<?, ?> record, String key) {
		int index = indexOf(record);
		if (index < 0) {
			return null;
		}
		Claim claim = takeAt(index).claim();
		if (!claim.key().equals(key)) {
			claim.release(); // the id resolver answered differently this time; claim the new key on its own
			return null;
		}
		return claim;
	}

	/**
	 * The claim made ahead for this record under a key made of its id, so the caller need not resolve the id
	 * again (the poll's keys were found when it was claimed); null otherwise, and then nothing is taken.
	 */
	@Nullable Claim takeIfKeyedById(ConsumerRecord<?, ?> record) {
		int index = indexOf(record);
		return (index >= 0 && untakenAt(index).fromId()) ? takeAt(index).claim() : null;
	}

	/** Where this record's untaken claim is, or -1: at the cursor as a rule, anywhere for a record out of order. */
	private int indexOf(ConsumerRecord<?, ?> record) {
		ConsumerRecord<?, ?>[] held = this.records;
		Ahead[] untaken = this.claims;
		if (held == null || untaken == null) {
			return -1;
		}
		int at = this.cursor;
		if (at < held.length && untaken[at] != null && RecordPositions.same(held[at], record)) {
			return at;
		}
		for (int i = 0; i < held.length; i++) {
			if (untaken[i] != null && RecordPositions.same(held[i], record)) {
				return i;
			}
		}
		return -1;
	}

	/** The untaken claim at {@code index}, as {@link #indexOf} found it. */
	private Ahead untakenAt(int index) {
		return Objects.requireNonNull(Objects.requireNonNull(this.claims)[index]);
	}

	private Ahead takeAt(int index) {
		Ahead ahead = untakenAt(index);
		Objects.requireNonNull(this.claims)[index] = null;
		this.cursor = index + 1;
		return ahead;
	}

	/** Forget the poll; the claims whose records never came up are returned, for the caller to release. */
	List<Claim> endPoll() {
		List<Claim> unused = new ArrayList<>();
		Ahead[] held = this.claims;
		if (held != null) {
			for (Ahead ahead : held) {
				if (ahead != null) {
					unused.add(ahead.claim());
				}
			}
		}
		forget();
		return unused;
	}

	private void forget() {
		this.claimedPoll = null;
		this.records = null;
		this.claims = null;
		this.cursor = 0;
	}

	/**
	 * A key to claim ahead, with its listener's lease and retention; {@code fromId}: made of the record's id
	 * (see {@link RecordKeys.QuietKey}).
	 */
	record KeyAndLease(String key, Duration lease, Duration retention, boolean fromId) {
	}

	/** The keys of one lease, with the index in the poll and {@code fromId} of each. */
	private static final class LeaseGroup {

		final List<String> keys;

		final int[] indexes;

		final boolean[] fromId;

		LeaseGroup(int capacity) {
			this.keys = new ArrayList<>(capacity);
			this.indexes = new int[capacity];
			this.fromId = new boolean[capacity];
		}

		void add(KeyAndLease key, int index) {
			this.indexes[this.keys.size()] = index;
			this.fromId[this.keys.size()] = key.fromId();
			this.keys.add(key.key());
		}

	}

	private record Ahead(Claim claim, boolean fromId) {
	}

}
