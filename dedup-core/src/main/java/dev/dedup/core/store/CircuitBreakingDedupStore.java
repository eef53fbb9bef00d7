package dev.dedup.core.store;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;

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
 * {@link #isInProcess()}, {@link #maxKeyLength()}) go straight to the store, and so does {@link #ping()}: a
 * health check asks the store itself, and reports the breaker's state beside it.
 */
public final class CircuitBreakingDedupStore extends ForwardingDedupStore {

	/** The breaker's name, e.g. in Resilience4j's metrics. */
	public static final String NAME = "dedup-store";

	private final CircuitBreaker breaker;

	public CircuitBreakingDedupStore(DedupStore store, CircuitBreaker breaker) {
		super(store);
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

	public CircuitBreaker circuitBreaker() {
		return this.breaker;
	}

	@Override
	protected <T> T around(StoreOperation operation, int keys, Supplier<T> step) {
		if (operation == StoreOperation.PING) {
			return step.get();
		}
		try {
			return this.breaker.executeSupplier(step);
		}
		catch (CallNotPermittedException ex) {
			throw new DedupStoreException("Dedup store not called for " + operation.methodName()
					+ ": too many of its recent calls failed, so its circuit breaker is " + this.breaker.getState()
					+ " (it tries the store again after "
					+ this.breaker.getCircuitBreakerConfig().getWaitIntervalFunctionInOpenState().apply(1) + " ms)", ex);
		}
	}

	@Override
	public String toString() {
		return "CircuitBreakingDedupStore[" + store() + ", " + this.breaker.getState() + "]";
	}

}
