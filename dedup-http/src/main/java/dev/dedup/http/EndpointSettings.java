package dev.dedup.http;

import java.time.Duration;

import org.jspecify.annotations.Nullable;

import org.springframework.expression.Expression;

import dev.dedup.http.PreventDuplicateSubmit.Strategy;

/**
 * One protected handler's settings: its {@link PreventDuplicateSubmit} with defaults filled in and text
 * parsed (once, at startup).
 *
 * @param operation the explicit operation name, or null for the matched route template
 * @param key LOCK's SpEL key over the method arguments, or null for the request hash
 * @param lease how long a claim holds without renewal (LOCK, IDEMPOTENCY_KEY)
 * @param holdAfterSuccess LOCK's cooldown after a success; zero for none
 * @param retention how long IDEMPOTENCY_KEY keeps a response
 */
public record EndpointSettings(Strategy strategy, @Nullable String operation, @Nullable Expression key, Duration lease,
		Duration holdAfterSuccess, Duration retention) {

}
