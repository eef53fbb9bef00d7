package dev.dedup.http;

import java.time.Duration;

/**
 * What an empty {@link PreventDuplicateSubmit} attribute means; from {@code dedup.http.*}.
 *
 * @param lockLease LOCK's lease
 * @param holdAfterSuccess LOCK's cooldown; zero for none
 * @param idempotencyLease IDEMPOTENCY_KEY's lease while the first request runs
 * @param idempotencyRetention how long IDEMPOTENCY_KEY keeps a response
 */
public record EndpointDefaults(Duration lockLease, Duration holdAfterSuccess, Duration idempotencyLease,
		Duration idempotencyRetention) {

	/** 30s leases, no cooldown, responses kept 24h. */
	public static EndpointDefaults standard() {
		return new EndpointDefaults(Duration.ofSeconds(30), Duration.ZERO, Duration.ofSeconds(30), Duration.ofHours(24));
	}

}
