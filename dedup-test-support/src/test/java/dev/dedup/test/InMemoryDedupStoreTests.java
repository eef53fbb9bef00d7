package dev.dedup.test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;

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
	void consumedEntriesNeverExceedTheMaximumAndTheNewestStays() {
		InMemoryDedupStore store = new InMemoryDedupStore(new MutableClock(), 100);
		for (int i = 0; i < 10_000; i++) {
			store.claim("k-" + i, "a", Duration.ofDays(1));
			store.complete("k-" + i, "a", Duration.ofDays(1), null);
		}
		assertThat(store.size()).isLessThanOrEqualTo(100);
		assertThat(store.inspect("k-9999")).as("the newest entry").isPresent();
	}

	/**
	 * A full store with bursts of new claims, as a poll of 500 records brings: Caffeine's size policy, left to
	 * weigh them, dropped live claims of the newest poll (their frequency is the lowest), and another copy of
	 * their messages could then have run beside them.
	 */
	@Test
	void liveClaimsAreNeverDroppedForRoomWhileConsumedEntriesComeAndGo() {
		InMemoryDedupStore store = new InMemoryDedupStore(new MutableClock(), 1_000);
		for (int poll = 0; poll < 20; poll++) {
			List<String> keys = IntStream.range(0, 500).mapToObj(i -> "live-" + i).map(key -> key + "-" + UUID.randomUUID())
				.toList();
			keys.forEach(key -> assertThat(store.claim(key, "a", Duration.ofDays(1)).outcome()).isEqualTo(ACQUIRED));
			for (int i = 0; i < 2_000; i++) { // others' polls, consumed meanwhile
				String other = "other-" + poll + "-" + i;
				store.claim(other, "b", Duration.ofDays(1));
				store.complete(other, "b", Duration.ofDays(1), null);
			}
			for (String key : keys) {
				assertThat(store.claim(key, "c", Duration.ofDays(1)).outcome()).as("a second copy of " + key)
					.isEqualTo(IN_PROGRESS);
				assertThat(store.complete(key, "a", Duration.ofDays(1), null)).as(key).isTrue();
			}
		}
		assertThat(store.size()).isLessThanOrEqualTo(1_000);
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
