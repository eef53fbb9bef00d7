package dev.dedup.core.engine;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The acquired claims of one {@link DedupEngine#claimPoll}, which share an owner. The store may mark such a
 * poll CONSUMED in one write ({@link dev.dedup.core.store.DedupStore#completePoll}), which covers every key
 * the poll still holds; so the engine takes that step only for the last claims of the poll, once every
 * other one was settled: completed or released by a store step that answered. A step that could not say
 * (a store error) spoils the group, and its remaining claims are then completed one key each.
 */
final class PollGroup {

	private final int members;

	private final AtomicInteger settled = new AtomicInteger();

	private volatile boolean spoiled;

	PollGroup(int members) {
		this.members = members;
	}

	/** A claim of the poll was completed or released, and the store answered. */
	void settled() {
		this.settled.incrementAndGet();
	}

	/** A claim's step could not say what the store holds for its key now. */
	void spoil() {
		this.spoiled = true;
	}

	/** Whether {@code completing} claims are all that remain open of the poll, every other one settled. */
	boolean areTheRest(int completing) {
		return !this.spoiled && this.settled.get() + completing == this.members;
	}

}
