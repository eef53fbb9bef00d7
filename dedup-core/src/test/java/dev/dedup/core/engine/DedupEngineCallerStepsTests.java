package dev.dedup.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.dedup.core.store.DedupStoreException;
import dev.dedup.core.store.InMemoryDedupStore;
import dev.dedup.core.store.StoredEntry;

/**
 * The steps on entries whose owner the caller chose ({@link DedupEngine#claimAs}, {@link DedupEngine#completeAs},
 * {@link DedupEngine#releaseAs}), and the store-failure policy applied to them.
 */
class DedupEngineCallerStepsTests {

	private static final Duration LEASE = Duration.ofSeconds(30);

	private static final Duration RETENTION = Duration.ofMinutes(10);

	private DedupEngineTests.FaultInjectingStore store;

	private DedupEngine failClosed;

	private DedupEngine failOpen;

	@BeforeEach
	void setUp() {
		this.store = new DedupEngineTests.FaultInjectingStore(new InMemoryDedupStore());
		this.failClosed = new DedupEngine(this.store);
		this.failOpen = new DedupEngine(this.store,
				DedupEngineConfig.custom().storeFailurePolicy(StoreFailurePolicy.FAIL_OPEN).build());
	}

	@AfterEach
	void tearDown() {
		this.failClosed.close();
		this.failOpen.close();
	}

	@Test
	void claimAsWritesTheCallersOwnerAndNeverRenewsOrReleases() throws Exception {
		Claim claim = this.failClosed.claimAs("k", "issued", Duration.ofMillis(60));

		assertThat(claim.status()).isEqualTo(ClaimStatus.ACQUIRED);
		assertThat(claim.owner()).isEqualTo("issued");
		assertThat(claim.isOpen()).as("the caller owns the entry, not the claim").isFalse();
		assertThat(this.failClosed.inspect("k")).get().extracting(StoredEntry::owner).isEqualTo("issued");
		claim.close();
		assertThat(claim.release()).isFalse();
		assertThatIllegalStateException().isThrownBy(() -> claim.complete(RETENTION));
		Thread.sleep(100);
		assertThat(this.store.renewCalls).hasValue(0);
		assertThat(this.store.releaseCalls).hasValue(0);
	}

	@Test
	void claimAsAnswersInProgressWithTheOtherOwnersLeaseAndDuplicateOnceConsumed() {
		this.failClosed.claimAs("k", "first", LEASE);

		Claim second = this.failClosed.claimAs("k", "second", LEASE);
		assertThat(second.status()).isEqualTo(ClaimStatus.IN_PROGRESS);
		assertThat(second.remainingLease()).isPositive().isLessThanOrEqualTo(LEASE);

		assertThat(this.failClosed.completeAs("k", "first", RETENTION)).isEqualTo(StepOutcome.DONE);
		assertThat(this.failClosed.claimAs("k", "second", LEASE).status()).isEqualTo(ClaimStatus.DUPLICATE);
	}

	@Test
	void completeAsTellsAConsumedEntryFromOneThatIsNotHeld() {
		this.failClosed.claimAs("k", "issued", LEASE);

		assertThat(this.failClosed.completeAs("k", "someone-else", RETENTION)).isEqualTo(StepOutcome.NOT_HELD);
		assertThat(this.failClosed.completeAs("k", "issued", RETENTION)).isEqualTo(StepOutcome.DONE);
		assertThat(this.failClosed.completeAs("k", "issued", RETENTION)).isEqualTo(StepOutcome.ALREADY_CONSUMED);
		assertThat(this.failClosed.completeAs("never-claimed", "issued", RETENTION)).isEqualTo(StepOutcome.NOT_HELD);
		assertThatIllegalArgumentException().isThrownBy(() -> this.failClosed.completeAs("k", "issued", Duration.ZERO));
	}

	@Test
	void releaseAsDeletesOnlyTheOwnersEntry() {
		this.failClosed.claimAs("k", "issued", LEASE);

		assertThat(this.failClosed.releaseAs("k", "someone-else")).isEqualTo(StepOutcome.NOT_HELD);
		assertThat(this.failClosed.releaseAs("k", "issued")).isEqualTo(StepOutcome.DONE);
		assertThat(this.failClosed.inspect("k")).isEmpty();
		assertThat(this.failClosed.releaseAs("k", "issued")).isEqualTo(StepOutcome.NOT_HELD);
	}

	@Test
	void failClosedThrowsFromEveryCallerStepWhileTheStoreIsDown() {
		this.failClosed.claimAs("k", "issued", LEASE);
		this.store.down = true;

		assertThatThrownBy(() -> this.failClosed.claimAs("other", "issued", LEASE))
			.isInstanceOf(DedupStoreException.class);
		assertThatThrownBy(() -> this.failClosed.completeAs("k", "issued", RETENTION))
			.isInstanceOf(DedupStoreException.class);
		assertThatThrownBy(() -> this.failClosed.releaseAs("k", "issued")).isInstanceOf(DedupStoreException.class);
	}

	@Test
	void failOpenBypassesEveryCallerStepWhileTheStoreIsDownAndChangesNothing() {
		this.failOpen.claimAs("k", "issued", LEASE);
		this.store.down = true;

		Claim bypassed = this.failOpen.claimAs("other", "issued", LEASE);
		assertThat(bypassed.status()).isEqualTo(ClaimStatus.BYPASSED);
		assertThat(bypassed.isOpen()).isFalse();
		assertThat(this.failOpen.completeAs("k", "issued", RETENTION)).isEqualTo(StepOutcome.BYPASSED);
		assertThat(this.failOpen.releaseAs("k", "issued")).isEqualTo(StepOutcome.BYPASSED);

		this.store.down = false;
		assertThat(this.failOpen.inspect("k")).get().extracting(StoredEntry::state)
			.isEqualTo(StoredEntry.State.CONSUMING);
		assertThat(this.failOpen.inspect("other")).isEmpty();
	}

	@Test
	void inspectIsNotSubjectToThePolicy() {
		this.store.down = true;

		assertThatThrownBy(() -> this.failOpen.inspect("k")).isInstanceOf(DedupStoreException.class);
	}

}
