package dev.dedup.http.lock;

import java.io.IOException;
import java.time.Duration;

import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.dedup.core.engine.Claim;
import dev.dedup.core.engine.DedupEngine;
import dev.dedup.core.engine.StoreFailurePolicy;
import dev.dedup.core.key.DedupKeys;
import dev.dedup.core.key.KeyKind;
import dev.dedup.core.store.DedupStoreException;
import dev.dedup.core.store.StoredEntry;
import dev.dedup.http.EndpointSettings;
import dev.dedup.http.HttpDecisions;
import dev.dedup.http.ProblemResponses;
import dev.dedup.http.RequestDigests;
import dev.dedup.http.SubmitGuard;
import dev.dedup.http.SubmitProblem;
import dev.dedup.http.SubmitRequest;

/**
 * LOCK: claims {@code {prefix}:lock:{identity}:{operation}:{hash}} with a random owner for the lease, renews
 * it while the handler runs, and releases it (by owner only) when the handler is done. A concurrent
 * duplicate gets 409 with {@code Retry-After}. With hold-after-success, a successful (2xx/3xx) submit
 * keeps the key for that long instead, as a cooldown.
 */
public final class LockGuard implements SubmitGuard {

	private static final Logger log = LoggerFactory.getLogger(LockGuard.class);

	static final KeyKind KIND = KeyKind.LOCK;

	private final DedupEngine engine;

	private final DedupKeys keys;

	private final ArgumentKeyEvaluator argumentKeys;

	private final ProblemResponses problems;

	public LockGuard(DedupEngine engine, DedupKeys keys, ArgumentKeyEvaluator argumentKeys, ProblemResponses problems) {
		this.engine = engine;
		this.keys = keys;
		this.argumentKeys = argumentKeys;
		this.problems = problems;
	}

	@Override
	public void guard(SubmitRequest submit, HttpServletResponse response, FilterChain chain)
			throws IOException, ServletException {
		EndpointSettings settings = submit.settings();
		String id = (settings.key() != null) ? this.argumentKeys.evaluate(settings.key(), submit, response)
				: RequestDigests.lockHash(submit.request(), submit.pathVariables());
		if (id == null) {
			chain.doFilter(submit.request(), response);
			return;
		}
		String key = this.keys.key(KIND, submit.identity(), submit.operation(), id);
		Claim claim;
		try {
			claim = this.engine.claim(key, settings.lease());
		}
		catch (DedupStoreException ex) {
			this.problems.write(submit.request(), response, SubmitProblem.STORE_UNAVAILABLE,
					"The duplicate-submit store cannot be reached; try again shortly.",
					StoreFailurePolicy.RETRY_AFTER);
			return;
		}
		switch (claim.status()) {
			case BYPASSED -> {
				submit.request().setAttribute(HttpDecisions.OUTCOME_ATTRIBUTE, HttpDecisions.RAN_UNPROTECTED);
				chain.doFilter(submit.request(), response);
			}
			case IN_PROGRESS -> this.problems.write(submit.request(), response, SubmitProblem.LOCK_HELD,
					"The same submit is being processed; wait for its answer.", claim.remainingLease());
			case DUPLICATE -> this.problems.write(submit.request(), response, SubmitProblem.RECENTLY_SUBMITTED,
					"The same submit succeeded moments ago.", cooldownLeft(key, settings.holdAfterSuccess()));
			case ACQUIRED -> runHolding(claim, submit, response, chain);
		}
	}

	private void runHolding(Claim claim, SubmitRequest submit, HttpServletResponse response, FilterChain chain)
			throws IOException, ServletException {
		boolean threw = true;
		boolean handedOff = false;
		try {
			chain.doFilter(submit.request(), response);
			threw = false;
			if (submit.request().isAsyncStarted()) {
				// The handler goes on on another thread: hold the lock until the response is complete.
				submit.request().getAsyncContext()
					.addListener(new FinishOnCompletion(claim, submit.settings(), response));
				handedOff = true;
			}
		}
		finally {
			if (!handedOff) {
				finish(claim, submit.settings(), threw ? HttpServletResponse.SC_INTERNAL_SERVER_ERROR
						: response.getStatus());
			}
		}
	}

	private static void finish(Claim claim, EndpointSettings settings, int status) {
		Duration hold = settings.holdAfterSuccess();
		if (hold.isZero() || status >= 400 || !claim.isOpen()) {
			claim.release();
			return;
		}
		try {
			claim.complete(hold);
		}
		catch (DedupStoreException ex) {
			log.warn("Could not start the cooldown of '{}'; the lock expires with its lease: {}", claim.key(),
					ex.getMessage());
		}
	}

	private Duration cooldownLeft(String key, Duration hold) {
		try {
			return this.engine.inspect(key).map(StoredEntry::remainingTtl).orElse(Duration.ZERO);
		}
		catch (DedupStoreException ex) {
			return hold;
		}
	}

	private static final class FinishOnCompletion implements AsyncListener {

		private final Claim claim;

		private final EndpointSettings settings;

		private final HttpServletResponse response;

		FinishOnCompletion(Claim claim, EndpointSettings settings, HttpServletResponse response) {
			this.claim = claim;
			this.settings = settings;
			this.response = response;
		}

		@Override
		public void onComplete(AsyncEvent event) {
			finish(this.claim, this.settings, this.response.getStatus());
		}

		@Override
		public void onTimeout(AsyncEvent event) {
			this.claim.release();
		}

		@Override
		public void onError(AsyncEvent event) {
			this.claim.release();
		}

		@Override
		public void onStartAsync(AsyncEvent event) {
			event.getAsyncContext().addListener(this);
		}

	}

}
