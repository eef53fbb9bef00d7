package dev.dedup.test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import dev.dedup.core.store.ClaimOutcome;
import dev.dedup.core.store.ClaimResult;
import dev.dedup.core.store.DedupStore;
import dev.dedup.core.store.StoredEntry;
import org.junit.jupiter.api.Test;

import static dev.dedup.core.store.ClaimOutcome.ACQUIRED;
import static dev.dedup.core.store.ClaimOutcome.DUPLICATE;
import static dev.dedup.core.store.ClaimOutcome.IN_PROGRESS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The contract every {@link DedupStore} must meet: each row of the state machine in DedupStore's javadoc,
 * owner fencing, expiry on the store's clock, binary results, concurrency and the batch forms. A store's
 * test extends this class and implements {@link #store()}; it may run against a shared server, so every
 * test uses keys of its own and leaves only entries that expire.
 * <p>
 * Stores on a real server cannot fake the clock: expiry tests use a short real lease
 * ({@link #shortLease()}) and {@link #letStoreTimePass(Duration)}, which by default waits, on the store's
 * own clock, until that much time has passed. Stores with an injectable clock override it to move the
 * clock instead.
 */
public abstract class DedupStoreContractTests {

	private static final String OWNER = "owner-a";

	private static final String OTHER = "owner-b";

	private static final String THIRD = "owner-c";

	/** The store under test; may be shared by all tests of the class. */
	protected abstract DedupStore store();

	/** A lease short enough to wait out in a test. */
	protected Duration shortLease() {
		return Duration.ofMillis(250);
	}

	/** A lease (or retention) that never runs out during a test. */
	protected Duration longLease() {
		return Duration.ofSeconds(30);
	}

	/** How long to wait at most for the store's clock to move past a short lease. */
	protected Duration awaitTimeout() {
		return Duration.ofSeconds(10);
	}

	/**
	 * Lets at least {@code amount} pass on the store's clock. The default claims a marker key with that lease
	 * and waits until another owner can claim it, so it measures the store's clock, not the JVM's: anything
	 * that expired before the marker has expired when this returns.
	 */
	protected void letStoreTimePass(Duration amount) {
		DedupStore store = store();
		String marker = key("clock-marker");
		assertThat(store.claim(marker, "clock-marker", amount).outcome()).isEqualTo(ACQUIRED);
		await("the store's clock to pass " + amount).atMost(awaitTimeout())
			.pollDelay(amount)
			.pollInterval(Duration.ofMillis(20))
			.until(() -> store.claim(marker, "clock-probe", amount).outcome() == ACQUIRED);
		store.release(marker, "clock-probe");
	}

	/** A key no other test (in this or another JVM) uses. */
	protected String key(String name) {
		return "dedup-contract:" + getClass().getSimpleName() + ":" + name + ":" + UUID.randomUUID();
	}

	@Test
	void claimOfAnAbsentKeyIsAcquired() {
		assertThat(store().claim(key("absent"), OWNER, longLease())).isEqualTo(ClaimResult.acquired());
	}

	@Test
	void claimOfAnEntryConsumingUnderAnotherOwnerIsInProgressWithTheRemainingLease() {
		String key = key("consuming-other");
		store().claim(key, OWNER, longLease());
		ClaimResult result = store().claim(key, OTHER, longLease());
		assertThat(result.outcome()).isEqualTo(IN_PROGRESS);
		assertThat(result.remainingLease()).isPositive().isLessThanOrEqualTo(longLease());
		assertThat(result.result()).isNull();
	}

	@Test
	void claimOfAnEntryConsumingUnderTheSameOwnerIsInProgress() {
		String key = key("consuming-same");
		store().claim(key, OWNER, longLease());
		ClaimResult result = store().claim(key, OWNER, longLease());
		assertThat(result.outcome()).isEqualTo(IN_PROGRESS);
		assertThat(result.remainingLease()).isPositive().isLessThanOrEqualTo(longLease());
	}

	@Test
	void claimOfAConsumedEntryIsDuplicateCarryingTheStoredResult() {
		String key = key("consumed");
		byte[] stored = { 1, 2, 3, 0, -1 };
		store().claim(key, OWNER, longLease());
		assertThat(store().complete(key, OWNER, longLease(), stored)).isTrue();
		assertThat(store().claim(key, OTHER, longLease())).isEqualTo(ClaimResult.duplicate(stored));
		assertThat(store().claim(key, OWNER, longLease())).isEqualTo(ClaimResult.duplicate(stored));
	}

	@Test
	void claimOfAConsumedEntryWithoutResultIsDuplicateWithNullResult() {
		String key = key("consumed-no-result");
		store().claim(key, OWNER, longLease());
		assertThat(store().complete(key, OWNER, longLease(), null)).isTrue();
		ClaimResult result = store().claim(key, OTHER, longLease());
		assertThat(result.outcome()).isEqualTo(DUPLICATE);
		assertThat(result.result()).isNull();
	}

	@Test
	void claimAfterTheLeaseExpiredIsAcquired() {
		String key = key("lease-expired");
		store().claim(key, OWNER, shortLease());
		letStoreTimePass(shortLease());
		assertThat(store().claim(key, OTHER, longLease()).outcome()).isEqualTo(ACQUIRED);
	}

	@Test
	void consumedEntryExpiresAfterRetentionAndCanBeAcquiredAgain() {
		String key = key("retention");
		store().claim(key, OWNER, longLease());
		assertThat(store().complete(key, OWNER, shortLease(), null)).isTrue();
		assertThat(store().claim(key, OTHER, longLease()).outcome()).isEqualTo(DUPLICATE);
		letStoreTimePass(shortLease());
		assertThat(store().claim(key, OTHER, longLease()).outcome()).isEqualTo(ACQUIRED);
	}

	@Test
	void completeReleaseAndRenewOfAnAbsentKeyAreRefusedAndCreateNothing() {
		String key = key("absent-steps");
		assertThat(store().complete(key, OWNER, longLease(), new byte[] { 1 })).isFalse();
		assertThat(store().release(key, OWNER)).isFalse();
		assertThat(store().renew(key, OWNER, longLease())).isFalse();
		assertThat(store().claim(key, OTHER, longLease()).outcome()).isEqualTo(ACQUIRED);
	}

	@Test
	void completeByAnotherOwnerIsRefusedAndLeavesTheEntryUnchanged() {
		String key = key("complete-other");
		byte[] stored = { 42 };
		store().claim(key, OWNER, longLease());
		assertThat(store().complete(key, OTHER, longLease(), new byte[] { 7 })).isFalse();
		assertThat(store().claim(key, THIRD, longLease()).outcome()).isEqualTo(IN_PROGRESS);
		assertThat(store().complete(key, OWNER, longLease(), stored)).isTrue();
		assertThat(store().claim(key, THIRD, longLease())).isEqualTo(ClaimResult.duplicate(stored));
	}

	@Test
	void releaseByAnotherOwnerIsRefusedAndTheEntryStillBlocksClaims() {
		String key = key("release-other");
		store().claim(key, OWNER, longLease());
		assertThat(store().release(key, OTHER)).isFalse();
		assertThat(store().claim(key, THIRD, longLease()).outcome()).isEqualTo(IN_PROGRESS);
		assertThat(store().complete(key, OWNER, longLease(), null)).isTrue();
	}

	@Test
	void renewByAnotherOwnerIsRefusedAndDoesNotExtendTheLease() {
		String key = key("renew-other");
		store().claim(key, OWNER, shortLease());
		assertThat(store().renew(key, OTHER, longLease())).isFalse();
		letStoreTimePass(shortLease());
		assertThat(store().claim(key, THIRD, longLease()).outcome()).isEqualTo(ACQUIRED);
	}

	@Test
	void consumedEntryRefusesCompleteReleaseAndRenewEvenByItsOwner() {
		String key = key("consumed-steps");
		byte[] stored = { 9, 9 };
		store().claim(key, OWNER, longLease());
		store().complete(key, OWNER, longLease(), stored);
		assertThat(store().complete(key, OWNER, longLease(), new byte[] { 1 })).isFalse();
		assertThat(store().release(key, OWNER)).isFalse();
		assertThat(store().renew(key, OWNER, longLease())).isFalse();
		assertThat(store().claim(key, OTHER, longLease())).isEqualTo(ClaimResult.duplicate(stored));
	}

	@Test
	void ownerWhoseLeaseExpiredAndWasTakenOverCanNeitherCompleteNorReleaseNorRenewTheNewOwnersEntry() {
		String key = key("fencing");
		store().claim(key, OWNER, shortLease());
		letStoreTimePass(shortLease());
		assertThat(store().claim(key, OTHER, longLease()).outcome()).isEqualTo(ACQUIRED);

		assertThat(store().complete(key, OWNER, longLease(), new byte[] { 1 })).isFalse();
		assertThat(store().release(key, OWNER)).isFalse();
		assertThat(store().renew(key, OWNER, longLease())).isFalse();
		assertThat(store().claim(key, THIRD, longLease()).outcome()).as("the new owner's entry still blocks")
			.isEqualTo(IN_PROGRESS);

		byte[] stored = { 2 };
		assertThat(store().complete(key, OTHER, longLease(), stored)).isTrue();
		assertThat(store().claim(key, THIRD, longLease())).isEqualTo(ClaimResult.duplicate(stored));
	}

	@Test
	void renewExtendsTheLeasePastItsFirstExpiry() {
		String key = key("renew");
		store().claim(key, OWNER, shortLease());
		assertThat(store().renew(key, OWNER, longLease())).isTrue();
		letStoreTimePass(shortLease());
		ClaimResult result = store().claim(key, OTHER, longLease());
		assertThat(result.outcome()).isEqualTo(IN_PROGRESS);
		assertThat(result.remainingLease()).isPositive();
		assertThat(store().complete(key, OWNER, longLease(), null)).isTrue();
	}

	@Test
	void releaseLetsAnotherOwnerClaimAtOnce() {
		String key = key("release");
		store().claim(key, OWNER, longLease());
		assertThat(store().release(key, OWNER)).isTrue();
		assertThat(store().release(key, OWNER)).as("released twice").isFalse();
		assertThat(store().claim(key, OTHER, longLease()).outcome()).isEqualTo(ACQUIRED);
	}

	@Test
	void completeRenewAndReleaseAfterTheLeaseExpiredAreRefused() {
		String key = key("expired-steps");
		store().claim(key, OWNER, shortLease());
		letStoreTimePass(shortLease());
		assertThat(store().renew(key, OWNER, longLease())).isFalse();
		assertThat(store().complete(key, OWNER, longLease(), null)).isFalse();
		assertThat(store().release(key, OWNER)).isFalse();
		assertThat(store().claim(key, OTHER, longLease()).outcome()).isEqualTo(ACQUIRED);
	}

	@Test
	void largeBinaryResultRoundTripsByteExact() {
		String key = key("large-result");
		byte[] stored = new byte[64 * 1024];
		new Random(42).nextBytes(stored);
		for (int i = 0; i < 256; i++) {
			stored[i] = (byte) i;
		}
		store().claim(key, OWNER, longLease());
		assertThat(store().complete(key, OWNER, longLease(), stored)).isTrue();
		ClaimResult result = store().claim(key, OTHER, longLease());
		assertThat(result.outcome()).isEqualTo(DUPLICATE);
		assertThat(result.result()).isEqualTo(stored);
	}

	@Test
	void exactlyOneOfManyConcurrentClaimsIsAcquired() throws Exception {
		int threads = 32;
		ExecutorService executor = Executors.newFixedThreadPool(threads);
		try {
			for (int round = 0; round < 20; round++) {
				String key = key("race-" + round);
				CountDownLatch ready = new CountDownLatch(threads);
				CountDownLatch start = new CountDownLatch(1);
				List<Future<ClaimResult>> claims = new ArrayList<>();
				for (int i = 0; i < threads; i++) {
					String owner = "racer-" + i;
					claims.add(executor.submit(() -> {
						ready.countDown();
						start.await();
						return store().claim(key, owner, longLease());
					}));
				}
				assertThat(ready.await(awaitTimeout().toMillis(), TimeUnit.MILLISECONDS)).isTrue();
				start.countDown();
				List<ClaimOutcome> outcomes = new ArrayList<>();
				for (Future<ClaimResult> claim : claims) {
					outcomes.add(claim.get(awaitTimeout().toMillis(), TimeUnit.MILLISECONDS).outcome());
				}
				assertThat(outcomes).as("round %d", round).containsOnlyOnce(ACQUIRED);
				assertThat(outcomes).as("round %d", round).filteredOn(outcome -> outcome != ACQUIRED)
					.hasSize(threads - 1)
					.containsOnly(IN_PROGRESS);
			}
		}
		finally {
			executor.shutdownNow();
		}
	}

	@Test
	void claimAllAnswersInOrderWhatSingleClaimsWould() {
		List<String> batch = mixedEntries("batch");
		List<String> single = mixedEntries("single");

		List<ClaimResult> batchResults = store().claimAll(batch, OWNER, longLease());
		List<ClaimResult> singleResults = new ArrayList<>();
		for (String key : single) {
			singleResults.add(store().claim(key, OWNER, longLease()));
		}

		assertThat(batchResults).extracting(ClaimResult::outcome)
			.containsExactly(ACQUIRED, DUPLICATE, IN_PROGRESS, ACQUIRED, DUPLICATE);
		assertThat(batchResults).extracting(ClaimResult::outcome)
			.containsExactlyElementsOf(singleResults.stream().map(ClaimResult::outcome).toList());
		assertThat(batchResults.get(1).result()).isEqualTo(resultOf("batch"));
		assertThat(singleResults.get(1).result()).isEqualTo(resultOf("single"));
		assertThat(batchResults.get(2).remainingLease()).isPositive().isLessThanOrEqualTo(longLease());
		assertThat(batchResults.get(4).result()).isNull();
		assertThat(store().complete(batch.get(0), OWNER, longLease(), null)).as("claimAll took the new keys")
			.isTrue();
		assertThat(store().claim(batch.get(3), OTHER, longLease()).outcome()).isEqualTo(IN_PROGRESS);
	}

	@Test
	void claimAllAnswersInProgressForAKeyRepeatedInTheSameCall() {
		String key = key("repeated");
		String other = key("not-repeated");
		assertThat(store().claimAll(List.of(key, other, key), OWNER, longLease())).extracting(ClaimResult::outcome)
			.containsExactly(ACQUIRED, ACQUIRED, IN_PROGRESS);
	}

	@Test
	void claimAllOfNewKeysAndOneTheSameOwnerHoldsAcquiresOnlyTheNewOnes() {
		String held = key("held-by-owner");
		String fresh = key("fresh");
		String alsoFresh = key("also-fresh");
		store().claim(held, OWNER, longLease());

		assertThat(store().claimAll(List.of(fresh, held, alsoFresh), OWNER, longLease()))
			.extracting(ClaimResult::outcome)
			.containsExactly(ACQUIRED, IN_PROGRESS, ACQUIRED);
		assertThat(store().completeAll(List.of(fresh, held, alsoFresh), OWNER, longLease()))
			.containsExactly(true, true, true);
	}

	@Test
	void completeAllMarksEveryKeyTheOwnerHoldsAndRefusesTheOthers() {
		String first = key("complete-all-1");
		String second = key("complete-all-2");
		String third = key("complete-all-3");
		String foreign = key("complete-all-foreign");
		String absent = key("complete-all-absent");
		assertThat(store().claimAll(List.of(first, second, third), OWNER, longLease()))
			.containsOnly(ClaimResult.acquired());
		store().claim(foreign, OTHER, longLease());

		assertThat(store().completeAll(List.of(first, second, foreign, third, absent, first), OWNER, longLease()))
			.containsExactly(true, true, false, true, false, false);

		assertThat(store().claimAll(List.of(first, second, third, foreign, absent), THIRD, longLease()))
			.extracting(ClaimResult::outcome)
			.containsExactly(DUPLICATE, DUPLICATE, DUPLICATE, IN_PROGRESS, ACQUIRED);
		assertThat(store().claim(first, THIRD, longLease()).result()).isNull();
	}

	@Test
	void completeAllRefusesAKeyWhoseLeaseAnotherOwnerTookOverAndCompletedAndMarksTheRest() {
		String kept = key("complete-all-kept");
		String lost = key("complete-all-lost");
		assertThat(store().claim(kept, OWNER, longLease()).outcome()).isEqualTo(ACQUIRED);
		assertThat(store().claim(lost, OWNER, shortLease()).outcome()).isEqualTo(ACQUIRED);
		letStoreTimePass(shortLease());
		assertThat(store().claim(lost, OTHER, longLease()).outcome()).isEqualTo(ACQUIRED);
		assertThat(store().complete(lost, OTHER, longLease(), null)).isTrue();

		assertThat(store().completeAll(List.of(kept, lost), OWNER, longLease())).containsExactly(true, false);
		assertThat(store().claimAll(List.of(kept, lost), THIRD, longLease())).extracting(ClaimResult::outcome)
			.containsExactly(DUPLICATE, DUPLICATE);
	}

	@Test
	void claimPollAnswersAsClaimAllAndCompletePollMarksTheKeysItStillHoldsAfterOneWasReleased() {
		List<String> keys = mixedEntries("poll");
		String poll = newOwner();
		assertThat(store().claimPoll(keys, poll, longLease(), longLease())).extracting(ClaimResult::outcome)
			.containsExactly(ACQUIRED, DUPLICATE, IN_PROGRESS, ACQUIRED, DUPLICATE);
		assertThat(store().claim(keys.get(0), OTHER, longLease()).outcome()).isEqualTo(IN_PROGRESS);
		assertThat(store().inspect(keys.get(3))).get().extracting(StoredEntry::state, StoredEntry::owner)
			.containsExactly(StoredEntry.State.CONSUMING, poll);

		assertThat(store().release(keys.get(3), poll)).isTrue();
		assertThat(store().claim(keys.get(3), OTHER, longLease()).outcome()).isEqualTo(ACQUIRED);
		assertThat(store().completePoll(List.of(keys.get(0)), poll, longLease())).containsExactly(true);

		assertThat(store().claimAll(keys, THIRD, longLease())).extracting(ClaimResult::outcome)
			.containsExactly(DUPLICATE, DUPLICATE, IN_PROGRESS, IN_PROGRESS, DUPLICATE);
		assertThat(store().inspect(keys.get(0))).get().extracting(StoredEntry::state)
			.isEqualTo(StoredEntry.State.CONSUMED);
		assertThat(store().complete(keys.get(0), poll, longLease(), null)).isFalse();
		assertThat(store().release(keys.get(0), poll)).isFalse();
		assertThat(store().renew(keys.get(0), poll, longLease())).isFalse();
		assertThat(store().complete(keys.get(3), OTHER, longLease(), null)).isTrue();
	}

	/** Polls that share keys and claim them at the same moment: each key goes to exactly one of them. */
	@Test
	void eachKeyOfPollsClaimedAtOnceGoesToExactlyOneOfThem() throws Exception {
		int threads = 8;
		ExecutorService executor = Executors.newFixedThreadPool(threads);
		try {
			for (int round = 0; round < 10; round++) {
				List<String> keys = new ArrayList<>();
				for (int k = 0; k < 20; k++) {
					keys.add(key("poll-race-" + round + "-" + k));
				}
				CountDownLatch ready = new CountDownLatch(threads);
				CountDownLatch start = new CountDownLatch(1);
				List<Future<List<ClaimResult>>> polls = new ArrayList<>();
				for (int i = 0; i < threads; i++) {
					// Each poll in its own order, so that they meet on different keys.
					List<String> order = new ArrayList<>(keys);
					Collections.rotate(order, i * 3);
					polls.add(executor.submit(() -> {
						ready.countDown();
						start.await();
						return store().claimPoll(order, newOwner(), longLease(), longLease());
					}));
				}
				assertThat(ready.await(awaitTimeout().toMillis(), TimeUnit.MILLISECONDS)).isTrue();
				start.countDown();
				int acquired = 0;
				for (Future<List<ClaimResult>> poll : polls) {
					acquired += (int) poll.get(awaitTimeout().toMillis(), TimeUnit.MILLISECONDS).stream()
						.filter(result -> result.outcome() == ACQUIRED)
						.count();
				}
				assertThat(acquired).as("keys acquired in round %d", round).isEqualTo(keys.size());
			}
		}
		finally {
			executor.shutdownNow();
		}
	}

	@Test
	void keysOfAPollCompletedOneCallAtATimeAreEachConsumed() {
		List<String> keys = List.of(key("poll-each-1"), key("poll-each-2"), key("poll-each-3"));
		String poll = newOwner();
		assertThat(store().claimPoll(keys, poll, longLease(), longLease())).containsOnly(ClaimResult.acquired());

		assertThat(store().completeAll(List.of(keys.get(0)), poll, longLease())).containsExactly(true);
		assertThat(store().complete(keys.get(1), poll, longLease(), resultOf("poll-each"))).isTrue();
		assertThat(store().renew(keys.get(2), poll, longLease())).isTrue();
		assertThat(store().completePoll(List.of(keys.get(2)), poll, longLease())).containsExactly(true);

		assertThat(store().claimAll(keys, OTHER, longLease())).extracting(ClaimResult::outcome)
			.containsOnly(DUPLICATE);
		assertThat(store().claim(keys.get(1), OTHER, longLease()).result()).isEqualTo(resultOf("poll-each"));
	}

	@Test
	void aPollKeyWhoseLeaseRanOutIsTakenOverAndCompletePollThenRefusesEveryKey() {
		List<String> keys = List.of(key("poll-lapsed-1"), key("poll-lapsed-2"));
		String poll = newOwner();
		assertThat(store().claimPoll(keys, poll, shortLease(), longLease())).containsOnly(ClaimResult.acquired());
		letStoreTimePass(shortLease());

		assertThat(store().inspect(keys.get(1))).isEmpty();
		assertThat(store().claim(keys.get(0), OTHER, longLease()).outcome()).isEqualTo(ACQUIRED);
		assertThat(store().completePoll(keys, poll, longLease())).containsExactly(false, false);
		assertThat(store().renew(keys.get(1), poll, longLease())).isFalse();

		assertThat(store().claimAll(keys, THIRD, longLease())).extracting(ClaimResult::outcome)
			.containsExactly(IN_PROGRESS, ACQUIRED);
		assertThat(store().inspect(keys.get(0))).get().extracting(StoredEntry::owner).isEqualTo(OTHER);
	}

	@Test
	void aRenewedPollKeyOutlivesItsFirstLease() {
		List<String> keys = List.of(key("poll-renewed"));
		String poll = newOwner();
		assertThat(store().claimPoll(keys, poll, shortLease(), shortLease())).containsOnly(ClaimResult.acquired());
		assertThat(store().renew(keys.get(0), poll, longLease())).isTrue();
		letStoreTimePass(shortLease());

		assertThat(store().claim(keys.get(0), OTHER, longLease()).outcome()).isEqualTo(IN_PROGRESS);
		assertThat(store().completePoll(List.of(keys.get(0)), poll, longLease())).containsExactly(true);
		assertThat(store().claim(keys.get(0), OTHER, longLease()).outcome()).isEqualTo(DUPLICATE);
	}

	/** The evicted key's answer may be either: its entry is gone, which is what the operator asked for. */
	@Test
	void aKeyEvictedWhileItsPollRanStaysGoneWhenThePollIsCompletedAndTheRestIsConsumed() {
		List<String> keys = List.of(key("poll-evicted-1"), key("poll-evicted-2"));
		String poll = newOwner();
		assertThat(store().claimPoll(keys, poll, longLease(), longLease())).containsOnly(ClaimResult.acquired());
		assertThat(store().evict(keys.get(0))).isTrue();

		assertThat(store().completePoll(keys, poll, longLease())).hasSize(2).element(1).isEqualTo(true);
		assertThat(store().claimAll(keys, OTHER, longLease())).extracting(ClaimResult::outcome)
			.containsExactly(ACQUIRED, DUPLICATE);
	}

	@Test
	void batchFormsAnswerEmptyListsWithEmptyLists() {
		assertThat(store().claimAll(List.of(), OWNER, longLease())).isEmpty();
		assertThat(store().completeAll(List.of(), OWNER, longLease())).isEmpty();
	}

	@Test
	void maxKeyLengthIsAtLeast200Bytes() {
		assertThat(store().maxKeyLength()).isGreaterThanOrEqualTo(200);
	}

	@Test
	void keyOfExactlyMaxKeyLengthUtf8BytesWorks() {
		int max = store().maxKeyLength();
		StringBuilder key = new StringBuilder(key("max"));
		// Two-byte characters make sure the limit is counted in UTF-8 bytes, not chars.
		for (int i = 0; i < 20 && utf8Length(key) + 2 <= max; i++) {
			key.append('é');
		}
		while (utf8Length(key) < max) {
			key.append('x');
		}
		String longest = key.toString();
		assertThat(utf8Length(longest)).isEqualTo(max);

		assertThat(store().claim(longest, OWNER, longLease()).outcome()).isEqualTo(ACQUIRED);
		assertThat(store().complete(longest, OWNER, longLease(), new byte[] { 1 })).isTrue();
		assertThat(store().claim(longest, OTHER, longLease())).isEqualTo(ClaimResult.duplicate(new byte[] { 1 }));
		String sibling = longest.substring(0, longest.length() - 1) + 'y';
		assertThat(store().claim(sibling, OTHER, longLease()).outcome()).as("keys differing in the last byte")
			.isEqualTo(ACQUIRED);
	}

	@Test
	void inspectOfAnAbsentKeyIsEmptyAndCreatesNothing() {
		String key = key("inspect-absent");
		assertThat(store().inspect(key)).isEmpty();
		assertThat(store().claim(key, OWNER, longLease()).outcome()).isEqualTo(ACQUIRED);
	}

	@Test
	void inspectOfAConsumingEntryShowsItsOwnerAndRemainingLeaseAndChangesNothing() {
		String key = key("inspect-consuming");
		store().claim(key, OWNER, shortLease());
		StoredEntry entry = store().inspect(key).orElseThrow();
		assertThat(entry.state()).isEqualTo(StoredEntry.State.CONSUMING);
		assertThat(entry.owner()).isEqualTo(OWNER);
		assertThat(entry.result()).isNull();
		assertThat(entry.remainingTtl()).isPositive().isLessThanOrEqualTo(shortLease());
		assertThat(store().claim(key, OTHER, longLease()).outcome()).isEqualTo(IN_PROGRESS);
		letStoreTimePass(shortLease());
		assertThat(store().inspect(key)).as("inspect did not extend the lease").isEmpty();
		assertThat(store().claim(key, OTHER, longLease()).outcome()).isEqualTo(ACQUIRED);
	}

	@Test
	void inspectOfAConsumedEntryShowsItsResultAndRemainingRetention() {
		String withResult = key("inspect-consumed");
		String withoutResult = key("inspect-consumed-no-result");
		byte[] stored = { 0, 1, -1, 42 };
		store().claim(withResult, OWNER, longLease());
		store().complete(withResult, OWNER, longLease(), stored);
		store().claim(withoutResult, OWNER, longLease());
		store().complete(withoutResult, OWNER, longLease(), null);

		StoredEntry entry = store().inspect(withResult).orElseThrow();
		assertThat(entry.state()).isEqualTo(StoredEntry.State.CONSUMED);
		assertThat(entry.owner()).isNull();
		assertThat(entry.result()).isEqualTo(stored);
		assertThat(entry.remainingTtl()).isPositive().isLessThanOrEqualTo(longLease());
		assertThat(store().inspect(withoutResult).orElseThrow().result()).isNull();
		assertThat(store().claim(withResult, OTHER, longLease())).isEqualTo(ClaimResult.duplicate(stored));
	}

	@Test
	void inspectOfAnExpiredOrReleasedEntryIsEmpty() {
		String expiredLease = key("inspect-expired-lease");
		String expiredRetention = key("inspect-expired-retention");
		String released = key("inspect-released");
		store().claim(expiredLease, OWNER, shortLease());
		store().claim(expiredRetention, OWNER, longLease());
		store().complete(expiredRetention, OWNER, shortLease(), new byte[] { 1 });
		store().claim(released, OWNER, longLease());
		store().release(released, OWNER);
		letStoreTimePass(shortLease());
		assertThat(store().inspect(expiredLease)).isEmpty();
		assertThat(store().inspect(expiredRetention)).isEmpty();
		assertThat(store().inspect(released)).isEmpty();
	}

	@Test
	void evictDeletesAConsumingEntryWhateverItsOwnerAndFencesThatOwnerOut() {
		String key = key("evict-consuming");
		store().claim(key, OWNER, longLease());
		assertThat(store().evict(key)).isTrue();
		assertThat(store().inspect(key)).isEmpty();
		assertThat(store().complete(key, OWNER, longLease(), null)).as("the evicted owner's mark").isFalse();
		assertThat(store().claim(key, OTHER, longLease()).outcome()).isEqualTo(ACQUIRED);
	}

	@Test
	void evictDeletesAConsumedEntrySoTheNextCopyRunsAgain() {
		String key = key("evict-consumed");
		store().claim(key, OWNER, longLease());
		store().complete(key, OWNER, longLease(), new byte[] { 7 });
		assertThat(store().evict(key)).isTrue();
		assertThat(store().claim(key, OTHER, longLease()).outcome()).isEqualTo(ACQUIRED);
	}

	@Test
	void evictOfAnAbsentKeyAnswersFalseAndCreatesNothing() {
		String key = key("evict-absent");
		assertThat(store().evict(key)).isFalse();
		assertThat(store().inspect(key)).isEmpty();
	}

	@Test
	void pingAnswersWhileTheStoreIsUp() {
		store().ping();
	}

	/** An owner no other claim used, as {@link DedupStore#claimPoll} asks. */
	private static String newOwner() {
		return UUID.randomUUID().toString().replace("-", "");
	}

	/** New, CONSUMED with a result, CONSUMING under another owner, new, CONSUMED without result. */
	private List<String> mixedEntries(String name) {
		List<String> keys = List.of(key(name + "-new"), key(name + "-consumed"), key(name + "-consuming"),
				key(name + "-new2"), key(name + "-consumed-no-result"));
		store().claim(keys.get(1), OTHER, longLease());
		store().complete(keys.get(1), OTHER, longLease(), resultOf(name));
		store().claim(keys.get(2), OTHER, longLease());
		store().claim(keys.get(4), OTHER, longLease());
		store().complete(keys.get(4), OTHER, longLease(), null);
		return keys;
	}

	private static byte[] resultOf(String name) {
		return ("result of " + name).getBytes(StandardCharsets.UTF_8);
	}

	private static int utf8Length(CharSequence value) {
		return value.toString().getBytes(StandardCharsets.UTF_8).length;
	}

}
