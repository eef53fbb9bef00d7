package dev.dedup.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import org.junit.jupiter.api.Test;

import dev.dedup.core.store.DedupStoreException;
import dev.dedup.core.store.InMemoryDedupStore;

/** {@link DedupEngineConfig}: its defaults, its checks, and that the engine follows it. */
class DedupEngineConfigTests {

	@Test
	void defaultsAreTheEnginesLongStandingValues() {
		DedupEngineConfig defaults = DedupEngineConfig.ofDefaults();

		assertThat(defaults.storeFailurePolicy()).isEqualTo(StoreFailurePolicy.FAIL_CLOSED);
		assertThat(defaults.completeRetryPauses()).containsExactly(Duration.ofMillis(50), Duration.ofMillis(200),
				Duration.ofMillis(500));
		assertThat(defaults.completeRetryBudget()).isEqualTo(Duration.ofSeconds(1));
		assertThat(defaults.minRenewPeriod()).isEqualTo(Duration.ofMillis(10));
		assertThat(defaults.renewalScheduler()).isNull();
		assertThat(DedupEngineConfig.custom().build()).usingRecursiveComparison().isEqualTo(defaults);
	}

	@Test
	void engineWithoutAConfigUsesTheDefaults() {
		try (DedupEngine engine = new DedupEngine(new InMemoryDedupStore())) {
			assertThat(engine.config()).isSameAs(DedupEngineConfig.ofDefaults());
			assertThat(engine.storeFailurePolicy()).isEqualTo(StoreFailurePolicy.FAIL_CLOSED);
		}
	}

	@Test
	void builderSetsEveryValue() {
		ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
		try {
			DedupEngineConfig config = DedupEngineConfig.custom()
				.storeFailurePolicy(StoreFailurePolicy.FAIL_OPEN)
				.completeRetryPauses(Duration.ofMillis(5), Duration.ofMillis(7))
				.completeRetryBudget(Duration.ofMillis(300))
				.minRenewPeriod(Duration.ofMillis(1))
				.renewalScheduler(scheduler)
				.build();

			assertThat(config.storeFailurePolicy()).isEqualTo(StoreFailurePolicy.FAIL_OPEN);
			assertThat(config.completeRetryPauses()).containsExactly(Duration.ofMillis(5), Duration.ofMillis(7));
			assertThat(config.completeRetryBudget()).isEqualTo(Duration.ofMillis(300));
			assertThat(config.minRenewPeriod()).isEqualTo(Duration.ofMillis(1));
			assertThat(config.renewalScheduler()).isSameAs(scheduler);
			assertThat(DedupEngineConfig.from(config).build()).usingRecursiveComparison().isEqualTo(config);
			assertThat(DedupEngineConfig.from(config).storeFailurePolicy(StoreFailurePolicy.FAIL_CLOSED).build()
				.completeRetryPauses()).isEqualTo(config.completeRetryPauses());
		}
		finally {
			scheduler.shutdownNow();
		}
	}

	@Test
	void durationsShorterThanOneMillisecondAreRefused() {
		DedupEngineConfig.Builder builder = DedupEngineConfig.custom();

		assertThatIllegalArgumentException().isThrownBy(() -> builder.completeRetryBudget(Duration.ZERO))
			.withMessageContaining("complete retry budget");
		assertThatIllegalArgumentException().isThrownBy(() -> builder.minRenewPeriod(Duration.ofNanos(999_999)))
			.withMessageContaining("minimum renew period");
		assertThatIllegalArgumentException().isThrownBy(() -> builder.minRenewPeriod(null));
		assertThatIllegalArgumentException()
			.isThrownBy(() -> builder.completeRetryPauses(Duration.ofMillis(50), Duration.ofMillis(-1)))
			.withMessageContaining("complete retry pause");
		assertThatNullPointerException().isThrownBy(() -> builder.storeFailurePolicy(null));
		assertThat(builder.build()).as("a refused value changes nothing")
			.usingRecursiveComparison()
			.isEqualTo(DedupEngineConfig.ofDefaults());
	}

	@Test
	void engineRetriesACompletionOnlyAsOftenAsItsConfigSays() {
		DedupEngineTests.FaultInjectingStore store = new DedupEngineTests.FaultInjectingStore(new InMemoryDedupStore());
		try (DedupEngine retrying = new DedupEngine(store);
				DedupEngine noRetries = new DedupEngine(store,
						DedupEngineConfig.custom().completeRetryPauses().build())) {
			Claim first = retrying.claim("a", Duration.ofSeconds(30));
			store.failNextCompletes.set(1);
			assertThat(first.complete(Duration.ofMinutes(1))).isTrue();

			Claim second = noRetries.claim("b", Duration.ofSeconds(30));
			store.failNextCompletes.set(1);
			assertThatExceptionOfType(DedupStoreException.class)
				.isThrownBy(() -> second.complete(Duration.ofMinutes(1)));
		}
	}

	@Test
	void engineRenewsOnTheCallersScheduler() throws Exception {
		ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
		try (DedupEngine engine = new DedupEngine(new InMemoryDedupStore(),
				DedupEngineConfig.custom().renewalScheduler(scheduler).build())) {
			assertThat(engine.liveRenewals()).isZero();
			Claim claim = engine.claim("k", Duration.ofMillis(60));
			Thread.sleep(150);
			assertThat(claim.isLeaseLost()).isFalse();
			assertThat(claim.complete(Duration.ofMinutes(1))).isTrue();
		}
		finally {
			scheduler.shutdownNow();
		}
	}

}
