package dev.dedup.core.engine;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.dedup.core.store.DedupStore;
import dev.dedup.core.store.DedupStoreException;

/**
 * The store steps a {@link Claim} takes on its own key and owner: renew, complete (with retries), release,
 * and scheduling its renewals. The engine creates one for its store and hands it to every claim; claims
 * call down into it, and it never calls a claim or the engine.
 */
final class ClaimSteps {

	private static final Logger log = LoggerFactory.getLogger(ClaimSteps.class);

	private final DedupStore store;

	private final ScheduledExecutorService renewer;

	private final boolean ownsRenewer;

	private final LeaseRenewals renewals;

	private final long[] completeRetryPausesMillis;

	private final long completeRetryBudgetMillis;

	private final long minRenewPeriodMillis;

	ClaimSteps(DedupStore store, DedupEngineConfig config) {
		this.store = store;
		ScheduledExecutorService scheduler = config.renewalScheduler();
		this.ownsRenewer = scheduler == null;
		this.renewer = (scheduler != null) ? scheduler : newRenewer();
		this.renewals = new LeaseRenewals(this.renewer);
		this.completeRetryPausesMillis = config.completeRetryPauses().stream().mapToLong(Duration::toMillis).toArray();
		this.completeRetryBudgetMillis = config.completeRetryBudget().toMillis();
		this.minRenewPeriodMillis = config.minRenewPeriod().toMillis();
	}

	long renewPeriodMillis(Duration lease) {
		return Math.max(lease.toMillis() / 3, this.minRenewPeriodMillis);
	}

	/** Runs {@code renewal} every renewal period of {@code lease}, from one period on, until cancelled. */
	LeaseRenewals.Renewal scheduleRenewal(Runnable renewal, Duration lease) {
		return this.renewals.start(renewal, renewPeriodMillis(lease));
	}

	/** @throws DedupStoreException if the store cannot answer */
	boolean renew(String key, String owner, Duration lease) {
		return this.store.renew(key, owner, lease);
	}

	/** @throws DedupStoreException if the store stayed unreachable through the retries */
	boolean complete(String key, String owner, Duration retention, byte @Nullable [] result,
			boolean inTransaction) {
		return withCompleteRetries("'" + key + "'", inTransaction,
				() -> this.store.complete(key, owner, retention, result));
	}

	/** @throws DedupStoreException if the store stayed unreachable through the retries */
	List<Boolean> completeAll(List<String> keys, String owner, Duration retention, boolean inTransaction) {
		return withCompleteRetries(keys.size() + " keys", inTransaction,
				() -> this.store.completeAll(keys, owner, retention));
	}

	/** @throws DedupStoreException if the store stayed unreachable through the retries */
	List<Boolean> completePoll(List<String> keys, String owner, Duration retention) {
		return withCompleteRetries("a poll of " + keys.size() + " keys", false,
				() -> this.store.completePoll(keys, owner, retention));
	}

	/**
	 * @return true if the entry was deleted; false if it was not held; null if the store could not say
	 */
	@Nullable
	Boolean release(String key, String owner) {
		try {
			return this.store.release(key, owner);
		}
		catch (DedupStoreException ex) {
			// The entry expires with its lease, after which a redelivery claims it: delayed, never lost.
			log.warn("Could not release '{}'; a redelivery waits until its lease expires: {}", key, ex.getMessage());
			return null;
		}
	}

	/**
	 * The work is done, so losing the mark is costly: retry a completion through a short store outage (a
	 * refused connection, a failover). Not past the retry budget: a store that hangs costs each attempt its
	 * whole timeout, and the caller (an HTTP request, a consumer thread) must not wait several.
	 */
	private <T> T withCompleteRetries(String what, boolean inTransaction, Supplier<T> step) {
		long start = System.nanoTime();
		for (int attempt = 0;; attempt++) {
			try {
				return step.get();
			}
			catch (DedupStoreException ex) {
				long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
				// Inside the caller's transaction a retry would reuse its broken connection: let it roll back.
				if (inTransaction || attempt >= this.completeRetryPausesMillis.length
						|| elapsed + this.completeRetryPausesMillis[attempt] > this.completeRetryBudgetMillis) {
					throw ex;
				}
				log.debug("Completing {} failed, retrying: {}", what, ex.getMessage());
				sleep(this.completeRetryPausesMillis[attempt]);
			}
		}
	}

	void shutdown() {
		if (this.ownsRenewer) {
			this.renewer.shutdownNow();
		}
	}

	/** Claims whose lease is being renewed (for tests). */
	int liveRenewals() {
		return this.renewals.size();
	}

	/**
	 * One daemon thread, which runs the renewal sweeps. A cancelled sweep task leaves the queue at once.
	 */
	private static ScheduledExecutorService newRenewer() {
		ScheduledThreadPoolExecutor renewer = new ScheduledThreadPoolExecutor(1, runnable -> {
			Thread thread = new Thread(runnable, "dedup-lease-renewer");
			thread.setDaemon(true);
			return thread;
		});
		renewer.setRemoveOnCancelPolicy(true);
		return renewer;
	}

	private static void sleep(long millis) {
		try {
			Thread.sleep(millis);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new DedupStoreException("Interrupted while retrying the store", ex);
		}
	}

}
