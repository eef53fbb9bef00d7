package dev.dedup.kafka.poll;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import java.util.stream.IntStream;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.dedup.core.engine.Claim;
import dev.dedup.core.engine.DedupEngine;
import dev.dedup.core.engine.DedupEngineConfig;
import dev.dedup.core.store.DedupStoreException;
import dev.dedup.core.store.ForwardingDedupStore;
import dev.dedup.core.store.InMemoryDedupStore;
import dev.dedup.core.store.StoreOperation;
import dev.dedup.core.store.StoredEntry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The background lane's accounting: every mark handed over is settled before {@code awaitAll} returns, and
 * it says how each went (marked, lease lost, or the store failed, with the record).
 */
class CompletionLaneTests {

	private static final Duration LEASE = Duration.ofSeconds(30);

	private static final Duration RETENTION = Duration.ofMinutes(10);

	private final ExecutorService completers = Executors.newCachedThreadPool();

	private final InMemoryDedupStore memory = new InMemoryDedupStore();

	private final FaultyCompletes store = new FaultyCompletes(this.memory);

	private final DedupEngine engine = new DedupEngine(this.store, DedupEngineConfig.custom()
		.completeRetryPauses() // a failed mark fails at once: these tests are about what the lane reports
		.build());

	private final CompletionLane lane = new CompletionLane(this.engine, this.completers, CompletionLane.DEFAULT_LINGER);

	@AfterEach
	void stop() {
		this.completers.shutdownNow();
		this.engine.close();
	}

	@Test
	void everyMarkHandedOverIsWrittenAndCountedBeforeAwaitReturns() {
		List<Claim> claims = claim(300);
		for (int i = 0; i < claims.size(); i++) {
			this.lane.submit(claims.get(i), RETENTION, record(i));
		}
		CompletionLane.Outcomes outcomes = this.lane.awaitAll();
		assertThat(outcomes.completed()).isEqualTo(300);
		assertThat(outcomes.lost()).isZero();
		assertThat(outcomes.failed()).isEmpty();
		assertThat(claims).allSatisfy(claim -> assertThat(this.memory.inspect(claim.key()))
			.hasValueSatisfying(entry -> assertThat(entry.state()).isEqualTo(StoredEntry.State.CONSUMED)));
	}

	@Test
	void aMarkWhoseEntryIsGoneCountsAsALostLease() {
		List<Claim> claims = claim(3);
		this.memory.evict(claims.get(1).key()); // an operator's delete while the record ran
		for (int i = 0; i < claims.size(); i++) {
			this.lane.submit(claims.get(i), RETENTION, record(i));
		}
		CompletionLane.Outcomes outcomes = this.lane.awaitAll();
		assertThat(outcomes.completed()).isEqualTo(2);
		assertThat(outcomes.lost()).isEqualTo(1);
	}

	@Test
	void aStoreThatFailsHandsBackEachRecordWithTheCause() {
		List<Claim> claims = claim(5);
		this.store.failing = true;
		List<ConsumerRecord<?, ?>> records = new ArrayList<>();
		for (int i = 0; i < claims.size(); i++) {
			records.add(record(i));
			this.lane.submit(claims.get(i), RETENTION, records.get(i));
		}
		CompletionLane.Outcomes outcomes = this.lane.awaitAll();
		assertThat(outcomes.completed()).isZero();
		assertThat(outcomes.failed()).extracting(CompletionLane.FailedMark::record)
			.containsExactlyInAnyOrderElementsOf(records);
		assertThat(outcomes.failed()).allSatisfy(failed -> assertThat(failed.cause())
			.isInstanceOf(DedupStoreException.class).hasMessageContaining("store is down"));
		// Reported once: the next wait starts from nothing.
		assertThat(this.lane.awaitAll().failed()).isEmpty();
	}

	@Test
	void awaitingWithNothingHandedOverReturnsAtOnce() {
		CompletionLane.Outcomes outcomes = this.lane.awaitAll();
		assertThat(outcomes.completed()).isZero();
		assertThat(outcomes.lost()).isZero();
		assertThat(outcomes.failed()).isEmpty();
	}

	@Test
	void aConsumerWaitingOnASlowStoreIsWokenWhenItsLastMarkSettles() {
		this.store.delayMillis = 50;
		List<Claim> claims = claim(40);
		for (int i = 0; i < claims.size(); i++) {
			this.lane.submit(claims.get(i), RETENTION, record(i)); // several store calls: one runs while more arrive
		}
		assertThat(this.lane.awaitAll().completed()).isEqualTo(40);
		assertThat(this.store.completeCalls).isGreaterThan(0);
	}

	@Test
	void anInterruptedConsumerStillWaitsForItsMarksAndKeepsTheInterrupt() {
		this.store.delayMillis = 50;
		List<Claim> claims = claim(2);
		this.lane.submit(claims.get(0), RETENTION, record(0));
		this.lane.submit(claims.get(1), RETENTION, record(1));
		Thread.currentThread().interrupt();
		try {
			assertThat(this.lane.awaitAll().completed()).isEqualTo(2);
			assertThat(Thread.currentThread().isInterrupted()).isTrue();
		}
		finally {
			Thread.interrupted();
		}
	}

	@Test
	void onAStoreThatCompletesAPollInOneWriteTheMarksWaitForAwaitAndGoAsOnePollCall() throws InterruptedException {
		OnePollWrite polls = new OnePollWrite(new InMemoryDedupStore());
		try (DedupEngine engine = new DedupEngine(polls)) {
			CompletionLane lane = new CompletionLane(engine, this.completers, Duration.ofMinutes(1),
					Duration.ofMinutes(1));
			List<String> keys = IntStream.range(0, 5).mapToObj(i -> "lane-poll:" + i).toList();
			List<Claim> claims = engine.claimPoll(keys, LEASE, RETENTION);
			claims.forEach(Claim::begin);
			for (int i = 0; i < claims.size(); i++) {
				lane.submit(claims.get(i), RETENTION, record(i));
			}
			Thread.sleep(50); // far past the linger: a lane that sent marks as they came would have by now

			assertThat(polls.operations).as("store calls before the consumer waits").containsExactly("claimPoll");
			assertThat(lane.awaitAll().completed()).isEqualTo(5);
			assertThat(polls.operations).containsExactly("claimPoll", "completePoll");
			assertThat(claims).allSatisfy(claim -> assertThat(polls.inspect(claim.key()))
				.hasValueSatisfying(entry -> assertThat(entry.state()).isEqualTo(StoredEntry.State.CONSUMED)));
		}
	}

	/** A poll that runs longer than the wait: what waited that long goes key by key, the rest with the poll. */
	@Test
	void marksOfAPollThatRunsPastThePollMarkWaitGoKeyByKeyAndTheRestAsOnePollCall() {
		OnePollWrite polls = new OnePollWrite(new InMemoryDedupStore());
		try (DedupEngine engine = new DedupEngine(polls)) {
			CompletionLane lane = new CompletionLane(engine, this.completers, Duration.ofMinutes(1),
					Duration.ofMillis(100));
			List<String> keys = IntStream.range(0, 5).mapToObj(i -> "lane-long-poll:" + i).toList();
			List<Claim> claims = engine.claimPoll(keys, LEASE, RETENTION);
			claims.forEach(Claim::begin);
			lane.submit(claims.get(0), RETENTION, record(0));
			lane.submit(claims.get(1), RETENTION, record(1));

			// A crash from here on re-runs the first two records only until the wait is over.
			await().atMost(Duration.ofSeconds(10)).until(() -> polls.operations.contains("completeAll"));
			assertThat(polls.inspect(keys.get(1))).hasValueSatisfying(
					entry -> assertThat(entry.state()).isEqualTo(StoredEntry.State.CONSUMED));
			for (int i = 2; i < claims.size(); i++) {
				lane.submit(claims.get(i), RETENTION, record(i));
			}
			assertThat(lane.awaitAll().completed()).isEqualTo(5);
			assertThat(polls.operations).containsExactly("claimPoll", "completeAll", "completePoll");
		}
	}

	/** A record that takes long (a handler stuck): the marks before it go once none has followed for the linger. */
	@Test
	void marksOfAPollWhoseListenerStoppedHandingMarksOverGoAfterTheLinger() {
		OnePollWrite polls = new OnePollWrite(new InMemoryDedupStore());
		try (DedupEngine engine = new DedupEngine(polls)) {
			CompletionLane lane = new CompletionLane(engine, this.completers, Duration.ofMillis(5),
					Duration.ofMinutes(1));
			List<Claim> claims = engine.claimPoll(List.of("lane-stuck:0", "lane-stuck:1"), LEASE, RETENTION);
			claims.forEach(Claim::begin);
			lane.submit(claims.get(0), RETENTION, record(0));

			await().atMost(Duration.ofSeconds(10)).until(() -> lane.settledThrough(1));
			assertThat(polls.operations).containsExactly("claimPoll", "completeAll");
			lane.submit(claims.get(1), RETENTION, record(1));
			assertThat(lane.awaitAll().completed()).isEqualTo(2);
			assertThat(polls.operations).containsExactly("claimPoll", "completeAll", "completePoll");
		}
	}

	/** The end of one poll sends its marks; the next poll's first marks, handed over before they went, wait. */
	@Test
	void theNextPollsMarksWaitForTheirOwnPollsEnd() {
		OnePollWrite polls = new OnePollWrite(new InMemoryDedupStore());
		try (DedupEngine engine = new DedupEngine(polls)) {
			CompletionLane lane = new CompletionLane(engine, this.completers, Duration.ofMinutes(1),
					Duration.ofMinutes(1));
			List<Claim> first = engine.claimPoll(List.of("lane-first:0", "lane-first:1"), LEASE, RETENTION);
			List<Claim> second = engine.claimPoll(List.of("lane-second:0", "lane-second:1"), LEASE, RETENTION);
			first.forEach(Claim::begin);
			second.forEach(Claim::begin);
			lane.submit(first.get(0), RETENTION, record(0));
			lane.submit(first.get(1), RETENTION, record(1));
			lane.sendNow();
			lane.submit(second.get(0), RETENTION, record(2));

			await().atMost(Duration.ofSeconds(10)).until(() -> lane.settledThrough(2));
			assertThat(lane.settledThrough(3)).isFalse();
			lane.submit(second.get(1), RETENTION, record(3));
			assertThat(lane.awaitAll().completed()).isEqualTo(4);
			assertThat(polls.operations).containsExactly("claimPoll", "claimPoll", "completePoll", "completePoll");
		}
	}

	private List<Claim> claim(int count) {
		List<String> keys = IntStream.range(0, count).mapToObj(i -> "lane-test:" + i).toList();
		List<Claim> claims = this.engine.claimAll(keys, LEASE);
		claims.forEach(Claim::begin);
		return claims;
	}

	private static ConsumerRecord<String, String> record(int offset) {
		return new ConsumerRecord<>("orders", 0, offset, "key-" + offset, "payload-" + offset);
	}

	/** The in-memory store, saying it completes a poll in one write, with the store calls it was asked. */
	private static final class OnePollWrite extends ForwardingDedupStore {

		final List<String> operations = new CopyOnWriteArrayList<>();

		OnePollWrite(InMemoryDedupStore store) {
			super(store);
		}

		@Override
		public boolean completesPollsInOneWrite() {
			return true;
		}

		@Override
		protected <T> T around(StoreOperation operation, int keys, Supplier<T> step) {
			if (operation != StoreOperation.INSPECT) {
				this.operations.add(operation.methodName());
			}
			return step.get();
		}

	}

	/** The in-memory store, with completions that can be made slow or failing. */
	private static final class FaultyCompletes extends ForwardingDedupStore {

		volatile boolean failing;

		volatile long delayMillis;

		volatile int completeCalls;

		FaultyCompletes(InMemoryDedupStore store) {
			super(store);
		}

		@Override
		protected <T> T around(StoreOperation operation, int keys, Supplier<T> step) {
			if (operation == StoreOperation.COMPLETE_ALL) {
				this.completeCalls++;
				if (this.delayMillis > 0) {
					try {
						Thread.sleep(this.delayMillis);
					}
					catch (InterruptedException ex) {
						Thread.currentThread().interrupt();
					}
				}
				if (this.failing) {
					throw new DedupStoreException("the store is down (test)");
				}
			}
			return step.get();
		}

	}

}
