package dev.dedup.kafka.listener;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.jspecify.annotations.Nullable;

import dev.dedup.core.engine.Claim;

/**
 * One consumer thread's claims made ahead for the rest of its current poll, and the completions it handed
 * to its {@link CompletionLane} and has not yet waited for. Confined to that thread.
 */
final class PollClaims {

	private final CompletionLane lane;

	/** Claims whose record has not come up yet, by topic, partition and offset. */
	private final Map<Position, Claim> waiting = new HashMap<>();

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

	void claimedAhead(ConsumerRecords<?, ?> poll, Map<Position, Claim> claims) {
		this.claimedPoll = poll;
		this.waiting.putAll(claims);
	}

	/** The claim made ahead for this record, if it was made for the same key. */
	@Nullable Claim take(ConsumerRecord<?, ?> record, String key) {
		Claim claim = this.waiting.remove(Position.of(record));
		if (claim != null && !claim.key().equals(key)) {
			claim.release(); // the id resolver answered differently this time; claim the new key on its own
			return null;
		}
		return claim;
	}

	void completing(ConsumerRecord<?, ?> record, CompletableFuture<Boolean> done) {
		this.completions.add(new Completion(DedupRecordInterceptor.describe(record), done));
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
		List<Claim> unused = new ArrayList<>(this.waiting.values());
		this.waiting.clear();
		return unused;
	}

	record Position(String topic, int partition, long offset) {

		static Position of(ConsumerRecord<?, ?> record) {
			return new Position(record.topic(), record.partition(), record.offset());
		}

	}

	record Completion(String record, CompletableFuture<Boolean> done) {
	}

}
