package dev.dedup.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.dedup.core.engine.DedupEngineTests.FaultInjectingStore;
import dev.dedup.core.store.CountingDedupStore;
import dev.dedup.core.store.DedupStoreException;
import dev.dedup.core.store.InMemoryDedupStore;
import dev.dedup.core.store.StoreOperation;

/**
 * {@link DedupEngine#claimAll}, {@link Claim#begin()} and {@link DedupEngine#completeAll}: claiming a batch
 * ahead of its work, against the real {@link InMemoryDedupStore}.
 */
class DedupEngineBatchTests {

	private static final Duration LONG_LEASE = Duration.ofSeconds(30);

	private static final Duration RETENTION = Duration.ofMinutes(10);

	private FaultInjectingStore store;

	private DedupEngine engine;

	@BeforeEach
	void setUp() {
		this.store = new FaultInjectingStore(new InMemoryDedupStore());
		this.engine = new DedupEngine(this.store);
	}

	@AfterEach
	void tearDown() {
		this.engine.close();
	}

	@Test
	void claimAllAnswersPerKeyInOrderWithOneOwnerAndARepeatedKeyIsInProgress() {
		this.engine.claim("done", LONG_LEASE).complete(RETENTION);
		Claim heldElsewhere = this.engine.claim("held", LONG_LEASE);

		List<Claim> claims = this.engine.claimAll(List.of("a", "done", "held", "b", "a"), LONG_LEASE);

		assertThat(claims).extracting(Claim::status)
			.containsExactly(ClaimStatus.ACQUIRED, ClaimStatus.DUPLICATE, ClaimStatus.IN_PROGRESS,
					ClaimStatus.ACQUIRED, ClaimStatus.IN_PROGRESS);
		assertThat(claims).extracting(Claim::owner).containsOnly(claims.get(0).owner());
		assertThat(claims.get(0).owner()).isNotEqualTo(heldElsewhere.owner());
	}

	@Test
	void claimsFromClaimAllAreNotRenewedUntilTheyBegin() throws InterruptedException {
		Duration lease = Duration.ofMillis(150);
		List<Claim> claims = this.engine.claimAll(List.of("a", "b"), lease);

		Thread.sleep(400);
		assertThat(this.store.renewCalls.get()).as("waiting claims are left to expire").isZero();
		assertThat(this.engine.claim("a", LONG_LEASE).status()).as("expired while waiting")
			.isEqualTo(ClaimStatus.ACQUIRED);
		assertThat(claims.get(0).begin()).as("the waiting claim learns it lost the key").isFalse();
		assertThat(claims.get(0).isOpen()).isFalse();
		assertThat(claims.get(0).isLeaseLost()).isTrue();
	}

	@Test
	void beginAfterALongWaitExtendsTheLeaseFirstAndThenRenewsInTheBackground() throws InterruptedException {
		Duration lease = Duration.ofMillis(300);
		Claim claim = this.engine.claimAll(List.of("k"), lease).get(0);
		Thread.sleep(150); // past a third of the lease, still inside it

		assertThat(claim.begin()).isTrue();
		assertThat(this.store.renewCalls.get()).as("checked with the store before the work").isEqualTo(1);
		Thread.sleep(700); // more than twice the lease: only renewals keep it
		assertThat(this.engine.claim("k", LONG_LEASE).status()).isEqualTo(ClaimStatus.IN_PROGRESS);
		assertThat(claim.complete(RETENTION)).isTrue();
		assertThat(claim.isLeaseLost()).isFalse();
	}

	@Test
	void beginSoonAfterClaimAllNeedsNoStoreCall() {
		Claim claim = this.engine.claimAll(List.of("k"), LONG_LEASE).get(0);

		assertThat(claim.begin()).isTrue();
		assertThat(claim.begin()).as("a second begin changes nothing").isTrue();
		assertThat(this.store.renewCalls.get()).isZero();
		assertThat(claim.complete(RETENTION)).isTrue();
		assertThat(this.engine.liveRenewals()).isZero();
	}

	@Test
	void beginIsRefusedForAClaimThatDidNotAcquireItsKey() {
		this.engine.claim("k", LONG_LEASE);
		Claim inProgress = this.engine.claimAll(List.of("k"), LONG_LEASE).get(0);

		assertThatIllegalStateException().isThrownBy(inProgress::begin).withMessageContaining("IN_PROGRESS");
	}

	@Test
	void beginWithTheStoreDownThrowsAndClosesTheClaim() throws InterruptedException {
		Duration lease = Duration.ofMillis(150);
		Claim claim = this.engine.claimAll(List.of("k"), lease).get(0);
		Thread.sleep(60);
		this.store.down = true;

		assertThatThrownBy(claim::begin).isInstanceOf(DedupStoreException.class);
		assertThat(claim.isOpen()).isFalse();
	}

	@Test
	void completeAllMarksEveryClaimInOneCallPerOwnerAndClosesThem() {
		List<Claim> batch = this.engine.claimAll(List.of("a", "b", "c"), LONG_LEASE);
		Claim single = this.engine.claim("d", LONG_LEASE);
		batch.forEach(Claim::begin);
		int completesBefore = this.store.completeCalls.get();

		List<Boolean> results = this.engine.completeAll(List.of(batch.get(0), single, batch.get(1), batch.get(2)),
				RETENTION);

		assertThat(results).containsExactly(true, true, true, true);
		assertThat(this.store.completeCalls.get() - completesBefore).as("the default completeAll loops")
			.isEqualTo(4);
		for (String key : List.of("a", "b", "c", "d")) {
			assertThat(this.engine.claim(key, LONG_LEASE).status()).as(key).isEqualTo(ClaimStatus.DUPLICATE);
		}
		assertThat(batch).noneMatch(Claim::isOpen);
		assertThat(this.engine.liveRenewals()).isZero();
	}

	@Test
	void completeAllReportsALostLeasePerClaimAndLeavesTheNewOwnersEntryAlone() throws InterruptedException {
		List<Claim> batch = this.engine.claimAll(List.of("kept", "lost"), Duration.ofMillis(100));
		batch.get(0).begin();
		Thread.sleep(200);
		Claim taker = this.engine.claim("lost", LONG_LEASE);

		List<Boolean> results = this.engine.completeAll(batch, RETENTION);

		assertThat(results).containsExactly(true, false);
		assertThat(batch.get(1).isLeaseLost()).isTrue();
		assertThat(taker.complete(RETENTION)).as("the new owner still holds its entry").isTrue();
	}

	@Test
	void completeAllWithAClosedClaimThrowsBeforeClosingAnyOther() {
		List<Claim> batch = this.engine.claimAll(List.of("a", "b"), LONG_LEASE);
		batch.get(1).release();

		assertThatIllegalStateException().isThrownBy(() -> this.engine.completeAll(batch, RETENTION));
		assertThat(batch.get(0).isOpen()).as("nothing was lost").isTrue();
		assertThat(batch.get(0).complete(RETENTION)).isTrue();
	}

	@Test
	void completeAllRetriesThroughAShortOutageAndThrowsThroughALongOne() {
		List<Claim> first = this.engine.claimAll(List.of("a"), LONG_LEASE);
		this.store.failNextCompletes.set(2);
		assertThat(this.engine.completeAll(first, RETENTION)).containsExactly(true);

		List<Claim> second = this.engine.claimAll(List.of("b"), LONG_LEASE);
		this.store.down = true;
		assertThatThrownBy(() -> this.engine.completeAll(second, RETENTION)).isInstanceOf(DedupStoreException.class);
		this.store.down = false;
		assertThat(this.engine.claim("b", LONG_LEASE).status()).as("nothing was marked")
			.isEqualTo(ClaimStatus.IN_PROGRESS);
	}

	@Test
	void claimAllWithTheStoreDownThrowsWhenFailClosedAndBypassesWhenFailOpen() {
		this.store.down = true;
		assertThatThrownBy(() -> this.engine.claimAll(List.of("a", "b"), LONG_LEASE))
			.isInstanceOf(DedupStoreException.class);

		try (DedupEngine failOpen = new DedupEngine(this.store,
				DedupEngineConfig.custom().storeFailurePolicy(StoreFailurePolicy.FAIL_OPEN).build())) {
			List<Claim> claims = failOpen.claimAll(List.of("a", "b"), LONG_LEASE);
			assertThat(claims).extracting(Claim::status).containsOnly(ClaimStatus.BYPASSED);
			assertThat(claims.get(0).begin()).isTrue();
			assertThat(failOpen.completeAll(claims, RETENTION)).containsExactly(true, true);
		}
	}

	@Test
	void claimAllOfNoKeysCallsNoStore() {
		assertThat(this.engine.claimAll(List.of(), LONG_LEASE)).isEmpty();
		assertThat(this.store.claimCalls.get()).isZero();
	}

	// --- claimPoll: the poll marked in one store call once its other claims are settled --------------------

	@Test
	void claimPollOnAStoreThatWritesEachKeyAnywayIsClaimAll() {
		try (DedupEngine engine = new DedupEngine(new CountingDedupStore(this.store))) {
			List<Claim> claims = engine.claimPoll(List.of("a", "b"), LONG_LEASE, RETENTION);

			engine.completeAll(claims, RETENTION);

			assertThat(counts(engine).calls(StoreOperation.CLAIM_ALL)).isEqualTo(1);
			assertThat(counts(engine).calls(StoreOperation.CLAIM_POLL)).isZero();
			assertThat(counts(engine).calls(StoreOperation.COMPLETE_POLL)).isZero();
		}
	}

	@Test
	void completingEveryClaimOfAPollStillOpenAfterTheOthersWereReleasedIsOneCompletePoll() {
		this.store.pollsInOneWrite = true;
		this.engine.claim("done", LONG_LEASE).complete(RETENTION);
		try (DedupEngine engine = new DedupEngine(new CountingDedupStore(this.store))) {
			List<Claim> claims = engine.claimPoll(List.of("a", "done", "b", "c"), LONG_LEASE, RETENTION);
			assertThat(claims).extracting(Claim::status).containsExactly(ClaimStatus.ACQUIRED,
					ClaimStatus.DUPLICATE, ClaimStatus.ACQUIRED, ClaimStatus.ACQUIRED);
			claims.stream().filter(claim -> claim.status() == ClaimStatus.ACQUIRED).forEach(Claim::begin);
			assertThat(claims.get(3).release()).isTrue();

			assertThat(engine.completeAll(List.of(claims.get(0), claims.get(2)), RETENTION)).containsOnly(true);

			assertThat(counts(engine).calls(StoreOperation.COMPLETE_POLL)).isEqualTo(1);
			assertThat(counts(engine).calls(StoreOperation.COMPLETE_ALL)).isZero();
			assertThat(engine.claimAll(List.of("a", "b", "c"), LONG_LEASE)).extracting(Claim::status)
				.containsExactly(ClaimStatus.DUPLICATE, ClaimStatus.DUPLICATE, ClaimStatus.ACQUIRED);
		}
	}

	@Test
	void completingSomeOpenClaimsOfAPollMarksThoseKeysAloneAndTheRestLaterIsOneCompletePoll() {
		this.store.pollsInOneWrite = true;
		try (DedupEngine engine = new DedupEngine(new CountingDedupStore(this.store))) {
			List<Claim> claims = engine.claimPoll(List.of("a", "b", "c"), LONG_LEASE, RETENTION);

			engine.completeAll(List.of(claims.get(0)), RETENTION);
			assertThat(counts(engine).calls(StoreOperation.COMPLETE_ALL)).isEqualTo(1);
			assertThat(claims.get(1).complete(RETENTION)).isTrue();
			engine.completeAll(List.of(claims.get(2)), RETENTION);

			assertThat(counts(engine).calls(StoreOperation.COMPLETE_POLL)).isEqualTo(1);
			assertThat(counts(engine).keys(StoreOperation.COMPLETE_POLL)).isEqualTo(1);
		}
	}

	@Test
	void aPollWithAReleaseTheStoreCouldNotAnswerIsNeverMarkedInOneCall() {
		this.store.pollsInOneWrite = true;
		try (DedupEngine engine = new DedupEngine(new CountingDedupStore(this.store))) {
			List<Claim> claims = engine.claimPoll(List.of("a", "b"), LONG_LEASE, RETENTION);
			this.store.down = true;
			assertThat(claims.get(1).release()).as("could not say").isFalse();
			this.store.down = false;

			assertThat(engine.completeAll(List.of(claims.get(0)), RETENTION)).containsExactly(true);

			// b's entry may still be held under the poll: marking the poll would mark it too.
			assertThat(counts(engine).calls(StoreOperation.COMPLETE_POLL)).isZero();
			assertThat(counts(engine).calls(StoreOperation.COMPLETE_ALL)).isEqualTo(1);
		}
	}

	@Test
	void claimsFromClaimAllAreNeverCompletedAsAPoll() {
		this.store.pollsInOneWrite = true;
		try (DedupEngine engine = new DedupEngine(new CountingDedupStore(this.store))) {
			List<Claim> claims = engine.claimAll(List.of("a", "b"), LONG_LEASE);

			engine.completeAll(claims, RETENTION);

			assertThat(counts(engine).calls(StoreOperation.COMPLETE_POLL)).isZero();
			assertThat(counts(engine).calls(StoreOperation.COMPLETE_ALL)).isEqualTo(1);
		}
	}

	private static CountingDedupStore counts(DedupEngine engine) {
		return (CountingDedupStore) engine.store();
	}

}
