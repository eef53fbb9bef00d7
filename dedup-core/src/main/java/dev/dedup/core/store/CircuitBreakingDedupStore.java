package dev.dedup.core.store;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import org.jspecify.annotations.Nullable;

/**
 * A store seen through a Resilience4j {@link CircuitBreaker}. Each store call already has a deadline (the
 * store's own timeout), but a store that hangs would still cost every caller that deadline: a servlet
 * container's threads would all be parked on it within seconds. Once most recent calls failed, the breaker
 * opens and calls fail at once with a {@link DedupStoreException} (which the engine's store-failure policy
 * turns into a 503, a redelivery or an unprotected run) until, after the open duration, a few trial calls
 * find out whether the store is back.
 * <p>
 * Only {@link DedupStoreException} counts as a failure: bad input ({@link IllegalArgumentException}) says
 * nothing about the store's health. The calls that do no I/O ({@link #joinsCurrentTransaction()},
 * {@link #isInProcess()}, {@link #maxKeyLength()}) go straight to the store.
 */
public final class CircuitBreakingDedupStore implements DedupStore {

	/** The breaker's name, e.g. in Resilience4j's metrics. */
	public static final String NAME = "dedup-store";

	private final DedupStore store;

	private final CircuitBreaker breaker;

	public CircuitBreakingDedupStore(DedupStore store, CircuitBreaker breaker) {
		this.store = Objects.requireNonNull(store, "store");
		this.breaker = Objects.requireNonNull(breaker, "breaker");
	}

	/**
	 * A breaker that opens when at least {@code failureRatePercent} of the last {@code windowSize} calls
	 * failed (once {@code minimumCalls} were made), stays open for {@code openDuration}, then lets two trial
	 * calls through.
	 */
	public static CircuitBreaker newBreaker(float failureRatePercent, int windowSize, int minimumCalls,
			Duration openDuration) {
		return CircuitBreaker.of(NAME, CircuitBreakerConfig.custom()
			.failureRateThreshold(failureRatePercent)
			.slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
			.slidingWindowSize(windowSize)
			.minimumNumberOfCalls(minimumCalls)
			.waitDurationInOpenState(openDuration)
			.permittedNumberOfCallsInHalfOpenState(2)
			.recordExceptions(DedupStoreException.class)
			.build());
	}

	/** The store behind the breaker. */
	public DedupStore store() {
		return this.store;
	}

	public CircuitBreaker circuitBreaker() {
		return this.breaker;
	}

	@Override
	public ClaimResult claim(String key, String owner, Duration lease) {
		return call("claim", () -> this.store.claim(key, owner, lease));
	}

	@Override
	public boolean complete(String key, String owner, Duration retention, byte @Nullable [] result) {
		return call("complete", () -> this.store.complete(key, owner, retention, result));
	}

	@Override
	public boolean release(String key, String owner) {
		return call("release", () -> this.store.release(key, owner));
	}

	@Override
	public boolean renew(String key, String owner, Duration lease) {
		return call("renew", () -> this.store.renew(key, owner, lease));
	}

	@Override
	public Optional<StoredEntry> inspect(String key) {
		return call("inspect", () -> this.store.inspect(key));
	}

	@Override
	public List<ClaimResult> claimAll(List<String> keys, String owner, Duration lease) {
		return call("claimAll", () -> this.store.claimAll(keys, owner, lease));
	}

	@Override
	public List<Boolean> completeAll(List<String> keys, String owner, Duration retention) {
		return call("completeAll", () -> this.store.completeAll(keys, owner, retention));
	}

	@Override
	public boolean evict(String key) {
		return call("evict", () -> this.store.evict(key));
	}

	/** Past the breaker: a health check asks the store itself, and reports the breaker's state beside it. */
	@Override
	public void ping() {
		this.store.ping();
	}

	@Override
	public boolean joinsCurrentTransaction() {
		return this.store.joinsCurrentTransaction();
	}

	@Override
	public boolean isInProcess() {
		return this.store.isInProcess();
	}

	@Override
	public int maxKeyLength() {
		return this.store.maxKeyLength();
	}

	private <T> T call(String step, Supplier<T> storeCall) {
		try {
			return this.breaker.executeSupplier(storeCall);
		}
		catch (CallNotPermittedException ex) {
			throw new DedupStoreException("Dedup store not called for " + step + ": too many of its recent calls "
					+ "failed, so its circuit breaker is " + this.breaker.getState() + " (it tries the store again after "
					+ this.breaker.getCircuitBreakerConfig().getWaitIntervalFunctionInOpenState().apply(1) + " ms)", ex);
		}
	}

	@Override
	public String toString() {
		return "CircuitBreakingDedupStore[" + this.store + ", " + this.breaker.getState() + "]";
	}

}
