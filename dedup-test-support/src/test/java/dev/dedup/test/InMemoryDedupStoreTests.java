package dev.dedup.test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;

import dev.dedup.core.store.ClaimResult;
import dev.dedup.core.store.DedupStore;
import dev.dedup.core.store.InMemoryDedupStore;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import static dev.dedup.core.store.ClaimOutcome.ACQUIRED;
import static dev.dedup.core.store.ClaimOutcome.DUPLICATE;
import static dev.dedup.core.store.ClaimOutcome.IN_PROGRESS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The contract on the wall clock (which also exercises the contract's default real-time wait), then again
 * on a {@link MutableClock}, plus proof that expiry follows the store's clock.
 */
class InMemoryDedupStoreTests extends DedupStoreContractTests {

	private final InMemoryDedupStore store = new InMemoryDedupStore();

	@Override
	protected DedupStore store() {
		return this.store;
	}

	@Test
	void leaseExpiryFollowsTheStoresClockNotWallTime() {
		MutableClock clock = new MutableClock(Instant.parse("2030-01-01T00:00:00Z"));
		InMemoryDedupStore store = new InMemoryDedupStore(clock);
		store.claim("k", "a", Duration.ofHours(1));
		clock.advance(Duration.ofMinutes(59));
		assertThat(store.claim("k", "b", Duration.ofHours(1)))
			.isEqualTo(ClaimResult.inProgress(Duration.ofMinutes(1)));
		clock.advance(Duration.ofMinutes(1));
		assertThat(store.claim("k", "b", Duration.ofHours(1)).outcome()).isEqualTo(ACQUIRED);
	}

	@Test
	void retentionFollowsTheStoresClockNotWallTime() {
		MutableClock clock = new MutableClock();
		InMemoryDedupStore store = new InMemoryDedupStore(clock);
		store.claim("k", "a", Duration.ofMinutes(1));
		store.complete("k", "a", Duration.ofDays(7), null);
		clock.advance(Duration.ofDays(7).minusMillis(1));
		assertThat(store.claim("k", "b", Duration.ofMinutes(1)).outcome()).isEqualTo(DUPLICATE);
		clock.advance(Duration.ofMillis(1));
		assertThat(store.claim("k", "b", Duration.ofMinutes(1)).outcome()).isEqualTo(ACQUIRED);
	}

	@Test
	void wallTimePassingDoesNotExpireAnEntryWhileTheStoresClockStandsStill() {
		InMemoryDedupStore store = new InMemoryDedupStore(new MutableClock());
		store.claim("k", "a", Duration.ofMillis(20));
		await().during(Duration.ofMillis(200))
			.atMost(Duration.ofSeconds(2))
			.until(() -> store.claim("k", "b", Duration.ofMinutes(1)).outcome() == IN_PROGRESS);
	}

	@Test
	void expiredEntriesAreDroppedWithoutBeingTouchedAgain() {
		MutableClock clock = new MutableClock();
		InMemoryDedupStore store = new InMemoryDedupStore(clock);
		for (int i = 0; i < 1_000; i++) {
			store.claim("lease-" + i, "a", Duration.ofMinutes(1));
			store.claim("kept-" + i, "a", Duration.ofMinutes(1));
			store.complete("kept-" + i, "a", Duration.ofDays(1), null);
		}
		assertThat(store.size()).isEqualTo(2_000);
		clock.advance(Duration.ofMinutes(1));
		assertThat(store.size()).as("the leases ran out; the CONSUMED entries stay").isEqualTo(1_000);
		clock.advance(Duration.ofDays(1));
		assertThat(store.size()).isZero();
	}

	@Test
	void heldEntriesNeverExceedTheMaximumAndTheNewestStays() {
		InMemoryDedupStore store = new InMemoryDedupStore(new MutableClock(), 100);
		for (int i = 0; i < 10_000; i++) {
			store.claim("k-" + i, "a", Duration.ofDays(1));
		}
		assertThat(store.size()).isLessThanOrEqualTo(100);
		assertThat(store.inspect("k-9999")).as("the newest entry").isPresent();
	}

	@Test
	void aMaximumBelowOneIsRefused() {
		org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
			.isThrownBy(() -> new InMemoryDedupStore(new MutableClock(), 0))
			.withMessageContaining("at least 1 entry");
	}

	@Test
	void mutableClockViewsInOtherZonesShareItsTime() {
		MutableClock clock = new MutableClock(Instant.EPOCH);
		Clock paris = clock.withZone(ZoneId.of("Europe/Paris"));
		clock.advance(Duration.ofSeconds(5));
		assertThat(paris.instant()).isEqualTo(Instant.EPOCH.plusSeconds(5));
		assertThat(paris.getZone()).isEqualTo(ZoneId.of("Europe/Paris"));
	}

	/** The whole contract again, with time moved by the clock instead of waited for. */
	@Nested
	class OnAMovableClock extends DedupStoreContractTests {

		private final MutableClock clock = new MutableClock();

		private final InMemoryDedupStore store = new InMemoryDedupStore(this.clock);

		@Override
		protected DedupStore store() {
			return this.store;
		}

		@Override
		protected void letStoreTimePass(Duration amount) {
			this.clock.advance(amount);
		}

	}

}
