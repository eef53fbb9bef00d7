package dev.dedup.core.store;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class CircuitBreakingDedupStoreTests {

	private final SwitchableStore store = new SwitchableStore();

	private final CircuitBreakingDedupStore guarded = new CircuitBreakingDedupStore(this.store,
			CircuitBreakingDedupStore.newBreaker(50, 4, 4, Duration.ofMillis(300)));

	@Test
	void aHealthyStoreAnswersThroughTheBreaker() {
		assertThat(this.guarded.claim("k", "o", Duration.ofSeconds(5)).outcome()).isEqualTo(ClaimOutcome.ACQUIRED);
		assertThat(this.guarded.complete("k", "o", Duration.ofSeconds(5), new byte[] { 1 })).isTrue();
		assertThat(this.guarded.inspect("k")).isPresent();
		assertThat(this.guarded.claimAll(List.of("a", "b"), "o", Duration.ofSeconds(5))).hasSize(2);
		assertThat(this.guarded.completeAll(List.of("a", "b"), "o", Duration.ofSeconds(5))).containsExactly(true, true);
		assertThat(this.guarded.maxKeyLength()).isEqualTo(this.store.maxKeyLength());
		assertThat(this.guarded.circuitBreaker().getState()).isEqualTo(CircuitBreaker.State.CLOSED);
	}

	@Test
	void afterRepeatedFailuresCallsFailAtOnceWithoutReachingTheStoreThenTrialCallsCloseIt() {
		this.store.down.set(true);
		for (int i = 0; i < 4; i++) {
			assertThatThrownBy(() -> this.guarded.claim("k", "o", Duration.ofSeconds(5)))
				.isInstanceOf(DedupStoreException.class)
				.hasMessageContaining("store down");
		}
		assertThat(this.guarded.circuitBreaker().getState()).isEqualTo(CircuitBreaker.State.OPEN);
		int callsSoFar = this.store.calls.get();

		assertThatThrownBy(() -> this.guarded.release("k", "o")).isInstanceOf(DedupStoreException.class)
			.hasMessageContaining("circuit breaker is OPEN")
			.hasMessageContaining("after 300 ms");
		assertThat(this.store.calls).as("an open breaker does not call the store").hasValue(callsSoFar);

		this.store.down.set(false);
		await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50)).ignoreExceptions()
			.until(() -> this.guarded.claim("back", "o", Duration.ofSeconds(5)).outcome() == ClaimOutcome.ACQUIRED);
		this.guarded.renew("back", "o", Duration.ofSeconds(5));
		assertThat(this.guarded.circuitBreaker().getState()).isEqualTo(CircuitBreaker.State.CLOSED);
	}

	@Test
	void badInputDoesNotCountAsAStoreFailure() {
		for (int i = 0; i < 10; i++) {
			assertThatThrownBy(() -> this.guarded.claim("bad", "o", Duration.ofSeconds(5)))
				.isInstanceOf(IllegalArgumentException.class);
		}
		assertThat(this.guarded.circuitBreaker().getState()).isEqualTo(CircuitBreaker.State.CLOSED);
		assertThat(this.guarded.claim("good", "o", Duration.ofSeconds(5)).outcome()).isEqualTo(ClaimOutcome.ACQUIRED);
	}

	/** The in-memory store, with a switch that makes every call fail as an unreachable store would. */
	private static final class SwitchableStore implements DedupStore {

		final InMemoryDedupStore delegate = new InMemoryDedupStore();

		final AtomicBoolean down = new AtomicBoolean();

		final AtomicInteger calls = new AtomicInteger();

		private void enter(String key) {
			this.calls.incrementAndGet();
			if ("bad".equals(key)) {
				throw new IllegalArgumentException("bad key");
			}
			if (this.down.get()) {
				throw new DedupStoreException("store down");
			}
		}

		@Override
		public ClaimResult claim(String key, String owner, Duration lease) {
			enter(key);
			return this.delegate.claim(key, owner, lease);
		}

		@Override
		public boolean complete(String key, String owner, Duration retention, byte @Nullable [] result) {
			enter(key);
			return this.delegate.complete(key, owner, retention, result);
		}

		@Override
		public boolean release(String key, String owner) {
			enter(key);
			return this.delegate.release(key, owner);
		}

		@Override
		public boolean renew(String key, String owner, Duration lease) {
			enter(key);
			return this.delegate.renew(key, owner, lease);
		}

		@Override
		public Optional<StoredEntry> inspect(String key) {
			enter(key);
			return this.delegate.inspect(key);
		}

	}

}
