package dev.dedup.core.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;


/** Every store call is counted once, with its keys, failed calls included; answers pass through unchanged. */
class CountingDedupStoreTests {

	private final InMemoryDedupStore memory = new InMemoryDedupStore();

	private final CountingDedupStore store = new CountingDedupStore(this.memory);

	@Test
	void countsCallsAndKeysPerOperation() {
		assertThat(this.store.claimAll(List.of("a", "b", "c"), "o", Duration.ofSeconds(5)))
			.extracting(ClaimResult::outcome)
			.containsOnly(ClaimOutcome.ACQUIRED);
		assertThat(this.store.completeAll(List.of("a", "b"), "o", Duration.ofMinutes(1))).containsOnly(true);
		assertThat(this.store.release("c", "o")).isTrue();
		assertThat(this.store.claim("a", "p", Duration.ofSeconds(5)).outcome()).isEqualTo(ClaimOutcome.DUPLICATE);

		assertThat(this.store.calls(StoreOperation.CLAIM_ALL)).isEqualTo(1);
		assertThat(this.store.keys(StoreOperation.CLAIM_ALL)).isEqualTo(3);
		assertThat(this.store.calls(StoreOperation.COMPLETE_ALL)).isEqualTo(1);
		assertThat(this.store.keys(StoreOperation.COMPLETE_ALL)).isEqualTo(2);
		assertThat(this.store.calls(StoreOperation.RELEASE)).isEqualTo(1);
		assertThat(this.store.calls(StoreOperation.CLAIM)).isEqualTo(1);
		assertThat(this.store.calls()).isEqualTo(4);
		assertThat(this.store.time(StoreOperation.CLAIM_ALL)).isPositive();
	}

	@Test
	void aFailedCallIsCountedToo() {
		CountingDedupStore down = new CountingDedupStore(unreachable());
		assertThatExceptionOfType(DedupStoreException.class)
			.isThrownBy(() -> down.claim("a", "o", Duration.ofSeconds(1)));
		assertThat(down.calls(StoreOperation.CLAIM)).isEqualTo(1);
	}

	/** A store that is down: every step fails. */
	private static DedupStore unreachable() {
		return new DedupStore() {

			@Override
			public ClaimResult claim(String key, String owner, Duration lease) {
				throw new DedupStoreException("down");
			}

			@Override
			public boolean complete(String key, String owner, Duration retention, byte[] result) {
				throw new DedupStoreException("down");
			}

			@Override
			public boolean release(String key, String owner) {
				throw new DedupStoreException("down");
			}

			@Override
			public boolean renew(String key, String owner, Duration lease) {
				throw new DedupStoreException("down");
			}

			@Override
			public java.util.Optional<StoredEntry> inspect(String key) {
				throw new DedupStoreException("down");
			}

		};
	}

	@Test
	void theCallsThatDoNoIoAreAnsweredByTheStoreAndNotCounted() {
		assertThat(this.store.isInProcess()).isTrue();
		assertThat(this.store.maxKeyLength()).isEqualTo(this.memory.maxKeyLength());
		assertThat(this.store.joinsCurrentTransaction()).isFalse();
		assertThat(this.store.calls()).isZero();
	}

}
