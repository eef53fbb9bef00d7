package dev.dedup.core.engine;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.dedup.core.store.ClaimResult;
import dev.dedup.core.store.DedupStore;
import dev.dedup.core.store.DedupStoreException;

/**
 * The one place that owns the dedup state machine: claim a key (with a fresh owner id), keep the lease
 * alive while the work runs, then complete or release. Stores only perform atomic steps; adapters (Kafka,
 * HTTP) only map the {@link ClaimStatus} onto their protocol.
 *
 * <p>Thread-safe; one engine serves a whole application. {@link #close()} stops the lease renewer.
 */
public final class DedupEngine implements AutoCloseable {

	private static final Logger log = LoggerFactory.getLogger(DedupEngine.class);

	/** Attempts and pauses for {@code complete}: the work is done, so losing the mark is costly. */
	private static final long[] COMPLETE_RETRY_PAUSES_MS = { 50, 200, 500 };

	private static final Duration MIN_RENEW_PERIOD = Duration.ofMillis(10);

	private final DedupStore store;

	private final StoreFailurePolicy storeFailurePolicy;

	private final ScheduledExecutorService renewer;

	private final boolean ownsRenewer;

	/**
	 * An engine with its own single daemon thread for lease renewal.
	 */
	public DedupEngine(DedupStore store, StoreFailurePolicy storeFailurePolicy) {
		this(store, storeFailurePolicy, newRenewer(), true);
	}

	/**
	 * An engine that renews leases on the given scheduler, which the caller shuts down.
	 */
	public DedupEngine(DedupStore store, StoreFailurePolicy storeFailurePolicy, ScheduledExecutorService renewer) {
		this(store, storeFailurePolicy, renewer, false);
	}

	private DedupEngine(DedupStore store, StoreFailurePolicy storeFailurePolicy, ScheduledExecutorService renewer,
			boolean ownsRenewer) {
		this.store = Objects.requireNonNull(store, "store");
		this.storeFailurePolicy = Objects.requireNonNull(storeFailurePolicy, "storeFailurePolicy");
		this.renewer = renewer;
		this.ownsRenewer = ownsRenewer;
	}

	public DedupStore store() {
		return this.store;
	}

	public StoreFailurePolicy storeFailurePolicy() {
		return this.storeFailurePolicy;
	}

	/**
	 * Claim {@code key} with a new random owner. An {@link ClaimStatus#ACQUIRED} claim renews its lease every
	 * third of {@code lease} until it is completed or released, unless the store wrote it in the caller's
	 * transaction ({@link Claim#joinsTransaction()}).
	 * @throws DedupStoreException if the store is unreachable and the policy is fail-closed (with fail-open
	 * the answer is {@link ClaimStatus#BYPASSED})
	 */
	public Claim claim(String key, Duration lease) {
		requirePositive(lease, "lease");
		String owner = newOwnerId();
		ClaimResult answer;
		boolean joinsTransaction;
		try {
			joinsTransaction = this.store.joinsCurrentTransaction();
			answer = this.store.claim(key, owner, lease);
		}
		catch (DedupStoreException ex) {
			if (this.storeFailurePolicy == StoreFailurePolicy.FAIL_OPEN) {
				log.warn("Dedup store unavailable, running '{}' without dedup protection (fail-open): {}", key,
						ex.getMessage());
				return new Claim(this, key, owner, ClaimStatus.BYPASSED, null);
			}
			throw ex;
		}
		Claim claim = new Claim(this, key, owner, ClaimStatus.valueOf(answer.outcome().name()), answer,
				joinsTransaction);
		// A claim inside the caller's transaction is invisible until it commits: others wait on its row lock,
		// not on its lease, and a renewal from another thread would only wait on that lock too.
		if (claim.status() == ClaimStatus.ACQUIRED && !joinsTransaction) {
			long period = Math.max(lease.toMillis() / 3, MIN_RENEW_PERIOD.toMillis());
			claim.startRenewal(this.renewer.scheduleAtFixedRate(() -> renew(claim, lease), period, period,
					TimeUnit.MILLISECONDS));
		}
		return claim;
	}

	boolean complete(Claim claim, Duration retention, byte @Nullable [] result) {
		claim.stopRenewal();
		for (int attempt = 0;; attempt++) {
			try {
				boolean completed = this.store.complete(claim.key(), claim.owner(), retention, result);
				if (!completed) {
					claim.markLeaseLost();
					log.warn("Lease on '{}' was lost before the work finished; another owner holds or held it, so "
							+ "the message may have been processed twice", claim.key());
				}
				return completed;
			}
			catch (DedupStoreException ex) {
				// Inside the caller's transaction a retry would reuse its broken connection: let it roll back.
				if (claim.joinsTransaction() || attempt >= COMPLETE_RETRY_PAUSES_MS.length) {
					throw ex;
				}
				log.debug("Completing '{}' failed, retrying: {}", claim.key(), ex.getMessage());
				sleep(COMPLETE_RETRY_PAUSES_MS[attempt]);
			}
		}
	}

	boolean release(Claim claim) {
		claim.stopRenewal();
		try {
			return this.store.release(claim.key(), claim.owner());
		}
		catch (DedupStoreException ex) {
			// The entry expires with its lease, after which a redelivery claims it: delayed, never lost.
			log.warn("Could not release '{}'; a redelivery waits until its lease expires: {}", claim.key(),
					ex.getMessage());
			return false;
		}
	}

	private void renew(Claim claim, Duration lease) {
		if (!claim.isOpen()) {
			claim.stopRenewal();
			return;
		}
		try {
			// A renewal racing a completion sees the entry CONSUMED and answers false: not a lost lease.
			if (!this.store.renew(claim.key(), claim.owner(), lease) && claim.isOpen()) {
				claim.markLeaseLost();
				claim.stopRenewal();
				log.warn("Lease on '{}' was lost while the work ran (it expired and was taken over)", claim.key());
			}
		}
		catch (DedupStoreException ex) {
			log.warn("Could not renew the lease on '{}', will try again: {}", claim.key(), ex.getMessage());
		}
		catch (RuntimeException ex) {
			log.error("Unexpected failure renewing the lease on '{}'", claim.key(), ex);
		}
	}

	@Override
	public void close() {
		if (this.ownsRenewer) {
			this.renewer.shutdownNow();
		}
	}

	/** Renewals waiting in the engine's own scheduler (for tests); -1 with a caller's scheduler. */
	int queuedRenewals() {
		return this.ownsRenewer && this.renewer instanceof ScheduledThreadPoolExecutor pool ? pool.getQueue().size()
				: -1;
	}

	/**
	 * One daemon thread. Cancelled renewals leave the queue at once: most claims complete long before their
	 * first renewal, and by default a cancelled task (holding its claim) would stay queued for lease/3.
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

	/** 128 random bits: owners need only be unique, not secret. */
	static String newOwnerId() {
		ThreadLocalRandom random = ThreadLocalRandom.current();
		return Long.toHexString(random.nextLong()) + Long.toHexString(random.nextLong());
	}

	static void requirePositive(Duration duration, String name) {
		if (duration.isNegative() || duration.isZero() || duration.toMillis() < 1) {
			throw new IllegalArgumentException("The " + name + " must be at least 1ms, was " + duration);
		}
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
