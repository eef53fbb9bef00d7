package dev.dedup.http;

import dev.dedup.http.PreventDuplicateSubmit.Strategy;

/**
 * Where the filter reports how each protected request went: by strategy, and an outcome that is
 * {@code ran} (the handler ran), {@code ran-unprotected} (store down, fail-open), {@code replayed} (a stored response was sent) or the problem dedup answered
 * with ({@code lock-held}, {@code token-used}, {@code idempotency-key-in-flight}, {@code store-unavailable}, …,
 * as in the problem's type). With Micrometer: {@code dedup.http.requests{strategy, outcome}}.
 */
@FunctionalInterface
public interface HttpDecisions {

	HttpDecisions NONE = (strategy, outcome) -> {
	};

	/** The outcome of a request that ran without protection: the store was down and the policy is fail-open. */
	String RAN_UNPROTECTED = "ran-unprotected";

	/** The request attribute in which a guard names an outcome other than {@code ran}. */
	String OUTCOME_ATTRIBUTE = HttpDecisions.class.getName() + ".outcome";

	void record(Strategy strategy, String outcome);

}
