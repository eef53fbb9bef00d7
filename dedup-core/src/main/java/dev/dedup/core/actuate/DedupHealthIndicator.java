package dev.dedup.core.actuate;

import java.time.Duration;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

import dev.dedup.core.store.CircuitBreakingDedupStore;
import dev.dedup.core.store.DedupStore;
import dev.dedup.core.store.ForwardingDedupStore;

/**
 * The {@code dedup} health: UP when the store answers one cheap request ({@link DedupStore#ping()}: Redis
 * runs a no-op script, JDBC validates a connection) within the store timeout, DOWN with the error when it
 * does not. Details: the store, how long the ping took, and the circuit breaker's state where there is one
 * (OPEN means dedup is failing its calls fast, whatever the ping says).
 */
public final class DedupHealthIndicator implements HealthIndicator {

	private final DedupStore store;

	/**
	 * @param store the store as the engine uses it ({@code engine.store()}): its ping passes the breaker, and
	 * the breaker's state is reported beside it
	 */
	public DedupHealthIndicator(DedupStore store) {
		this.store = store;
	}

	@Override
	public Health health() {
		Health.Builder health;
		long start = System.nanoTime();
		try {
			this.store.ping();
			health = Health.up();
		}
		catch (RuntimeException ex) {
			health = Health.down(ex);
		}
		health.withDetail("store", ForwardingDedupStore.innermost(this.store).toString())
			.withDetail("pingMillis", Duration.ofNanos(System.nanoTime() - start).toMillis());
		CircuitBreakingDedupStore breaker = ForwardingDedupStore.find(this.store, CircuitBreakingDedupStore.class);
		if (breaker != null) {
			health.withDetail("circuitBreaker", breaker.circuitBreaker().getState().name());
		}
		return health.build();
	}

}
