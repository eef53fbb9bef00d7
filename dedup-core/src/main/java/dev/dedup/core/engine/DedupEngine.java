package dev.dedup.core.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.dedup.core.Durations;
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

	/** Retries of a completion start within this long of its first attempt. */
	private static final Duration COMPLETE_RETRY_BUDGET = Duration.ofSeconds(1);

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
	 * An operator's delete of {@code key}'s entry, whatever its state and owner ({@link DedupStore#evict}): a
	 * claim held under it loses its lease, and a CONSUMED key is forgotten. Not subject to the store-failure
	 * policy: a store that cannot answer throws.
	 * @return true if an entry was deleted
	 */
	public boolean evict(String key) {
		return this.store.evict(key);
	}

	/**
	 * Claim {@code key} with a new random owner. An {@link ClaimStatus#ACQUIRED} claim renews its lease every
	 * third of {@code lease} until it is completed or released, unless the store wrote it in the caller's
	 * transaction ({@link Claim#joinsTransaction()}).
	 * @throws DedupStoreException if the store is unreachable and the policy is fail-closed (with fail-open
	 * the answer is {@link ClaimStatus#BYPASSED})
	 */
	public Claim claim(String key, Duration lease) {
		Claim claim = claimKeys(List.of(key), lease, owner -> List.of(this.store.claim(key, owner, lease))).get(0);
		// A claim inside the caller's transaction is invisible until it commits: others wait on its row lock,
		// not on its lease, and a renewal from another thread would only wait on that lock too.
		if (claim.status() == ClaimStatus.ACQUIRED && !claim.joinsTransaction()) {
			startRenewal(claim, lease);
		}
		return claim;
	}

	/**
	 * Claim several keys ahead of their work, with one new owner and in one store call where the store can
	 * ({@link DedupStore#claimAll}): a Kafka poll's worth of records in one round trip instead of one each.
	 * Unlike {@link #claim}, an {@link ClaimStatus#ACQUIRED} claim from here is <em>not</em> renewed until
	 * {@link Claim#begin()} says its work starts. Until then it holds its key for one lease, so a claim whose
	 * work never starts (the rest of a poll after an error, a revoked partition) expires by itself. A key
	 * repeated in {@code keys} answers IN_PROGRESS the second time.
	 * @return one claim per key, in order
	 * @throws DedupStoreException if the store is unreachable and the policy is fail-closed (with fail-open
	 * every claim is {@link ClaimStatus#BYPASSED})
	 */
	public List<Claim> claimAll(List<String> keys, Duration lease) {
		List<Claim> claims = claimKeys(keys, lease,
				owner -> keys.isEmpty() ? List.of() : this.store.claimAll(keys, owner, lease));
		long claimedAt = System.nanoTime();
		claims.forEach(claim -> claim.awaitBegin(lease, claimedAt));
		return claims;
	}

	/**
	 * Asks the store, for one new owner, and turns its answers into claims: BYPASSED ones when the store is
	 * unreachable and the policy is fail-open.
	 */
	private List<Claim> claimKeys(List<String> keys, Duration lease, Function<String, List<ClaimResult>> storeCall) {
		Durations.requireAtLeastOneMilli(lease, "lease");
		String owner = newOwnerId();
		List<ClaimResult> answers;
		boolean joinsTransaction;
		try {
			joinsTransaction = this.store.joinsCurrentTransaction();
			answers = storeCall.apply(owner);
		}
		catch (DedupStoreException ex) {
			if (this.storeFailurePolicy == StoreFailurePolicy.FAIL_OPEN) {
				log.warn("Dedup store unavailable, running {} without dedup protection (fail-open): {}",
						keys.size() == 1 ? "'" + keys.get(0) + "'" : keys.size() + " keys", ex.getMessage());
				return keys.stream().map(key -> new Claim(this, key, owner, ClaimStatus.BYPASSED, null)).toList();
			}
			throw ex;
		}
		if (answers.size() != keys.size()) {
			throw new DedupStoreException("The store answered " + answers.size() + " claims for " + keys.size()
					+ " keys");
		}
		List<Claim> claims = new ArrayList<>(keys.size());
		for (int i = 0; i < keys.size(); i++) {
			ClaimResult answer = answers.get(i);
			claims.add(new Claim(this, keys.get(i), owner, ClaimStatus.valueOf(answer.outcome().name()), answer,
					joinsTransaction));
		}
		return claims;
	}

	/**
	 * Start the work of a claim from {@link #claimAll}: from now on its lease is renewed. A claim that waited
	 * less than a renewal period still holds its key by construction; one that waited longer asks the store
	 * to extend its lease first, and if that finds the lease gone (expired, perhaps taken over) the claim is
	 * closed and the caller must claim the key again.
	 */
	boolean begin(Claim claim, Duration lease, long claimedAtNanos) {
		if (claim.joinsTransaction()) {
			return true;
		}
		long period = renewPeriodMillis(lease);
		if (TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - claimedAtNanos) >= period) {
			boolean held;
			try {
				held = this.store.renew(claim.key(), claim.owner(), lease);
			}
			catch (DedupStoreException ex) {
				claim.closeUnheld();
				throw ex;
			}
			if (!held) {
				claim.closeUnheld();
				return false;
			}
		}
		startRenewal(claim, lease);
		return true;
	}

	private void startRenewal(Claim claim, Duration lease) {
		long period = renewPeriodMillis(lease);
		claim.startRenewal(this.renewer.scheduleAtFixedRate(() -> renew(claim, lease), period, period,
				TimeUnit.MILLISECONDS));
	}

	private static long renewPeriodMillis(Duration lease) {
		return Math.max(lease.toMillis() / 3, MIN_RENEW_PERIOD.toMillis());
	}

	/**
	 * Mark several acquired claims CONSUMED for {@code retention}, with one store call per owner where the
	 * store can ({@link DedupStore#completeAll}); claims from one {@link #claimAll} share an owner. Retries
	 * through short store outages like {@link Claim#complete(Duration)}. Every claim is closed, whatever
	 * the answer.
	 * @return per claim, in order: true if it is now CONSUMED, false if its lease was lost to another owner
	 * @throws DedupStoreException if the store stayed unreachable through the retries; the claims' CONSUMING
	 * entries then expire with their leases
	 * Claims that {@linkplain Claim#joinsTransaction() joined} the caller's transaction are completed in it,
	 * without retries; call this on their transaction's thread, before it commits.
	 * @throws IllegalStateException if a claim did not acquire its key or was already closed
	 */
	public List<Boolean> completeAll(List<Claim> claims, Duration retention) {
		Durations.requireAtLeastOneMilli(retention, "retention");
		Map<String, List<Integer>> byOwner = new LinkedHashMap<>();
		Boolean[] results = new Boolean[claims.size()];
		for (int i = 0; i < claims.size(); i++) {
			Claim claim = claims.get(i);
			if (claim.status() == ClaimStatus.BYPASSED) {
				results[i] = true;
				continue;
			}
			if (claim.status() != ClaimStatus.ACQUIRED || !claim.isOpen()) {
				// Checked before any claim is closed, so a bad list loses nothing.
				throw new IllegalStateException("Cannot complete " + claim + (claim.isOpen() ? "" : ": it is closed"));
			}
			byOwner.computeIfAbsent(claim.owner(), owner -> new ArrayList<>()).add(i);
		}
		for (List<Integer> group : byOwner.values()) {
			group.forEach(i -> claims.get(i).closeForCompletion());
		}
		for (Map.Entry<String, List<Integer>> group : byOwner.entrySet()) {
			List<String> keys = group.getValue().stream().map(i -> claims.get(i).key()).toList();
			boolean inTransaction = claims.get(group.getValue().get(0)).joinsTransaction();
			List<Boolean> answers = withCompleteRetries(keys.size() + " keys", inTransaction,
					() -> this.store.completeAll(keys, group.getKey(), retention));
			for (int j = 0; j < keys.size(); j++) {
				Claim claim = claims.get(group.getValue().get(j));
				results[group.getValue().get(j)] = answers.get(j);
				if (!answers.get(j)) {
					leaseLost(claim);
				}
			}
		}
		return List.of(results);
	}

	boolean complete(Claim claim, Duration retention, byte @Nullable [] result) {
		claim.stopRenewal();
		boolean completed = withCompleteRetries("'" + claim.key() + "'", claim.joinsTransaction(),
				() -> this.store.complete(claim.key(), claim.owner(), retention, result));
		if (!completed) {
			leaseLost(claim);
		}
		return completed;
	}

	private static void leaseLost(Claim claim) {
		claim.markLeaseLost();
		log.warn("Lease on '{}' was lost before the work finished; another owner holds or held it, so the "
				+ "message may have been processed twice", claim.key());
	}

	/**
	 * The work is done, so losing the mark is costly: retry a completion through a short store outage (a
	 * refused connection, a failover). Not past {@link #COMPLETE_RETRY_BUDGET}: a store that hangs costs each
	 * attempt its whole timeout, and the caller (an HTTP request, a consumer thread) must not wait several.
	 */
	private static <T> T withCompleteRetries(String what, boolean inTransaction, Supplier<T> step) {
		long start = System.nanoTime();
		for (int attempt = 0;; attempt++) {
			try {
				return step.get();
			}
			catch (DedupStoreException ex) {
				long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
				// Inside the caller's transaction a retry would reuse its broken connection: let it roll back.
				if (inTransaction || attempt >= COMPLETE_RETRY_PAUSES_MS.length
						|| elapsed + COMPLETE_RETRY_PAUSES_MS[attempt] > COMPLETE_RETRY_BUDGET.toMillis()) {
					throw ex;
				}
				log.debug("Completing {} failed, retrying: {}", what, ex.getMessage());
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
