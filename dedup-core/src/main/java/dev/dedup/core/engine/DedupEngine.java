package dev.dedup.core.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.dedup.core.Durations;
import dev.dedup.core.store.ClaimOutcome;
import dev.dedup.core.store.ClaimResult;
import dev.dedup.core.store.DedupStore;
import dev.dedup.core.store.DedupStoreException;
import dev.dedup.core.store.StoredEntry;

/**
 * The one place that owns the dedup state machine: claim a key (with a fresh owner id), keep the lease
 * alive while the work runs, then complete or release. Stores only perform atomic steps; adapters (Kafka,
 * HTTP) only map the {@link ClaimStatus} onto their protocol. It is also the one place that applies the
 * {@link StoreFailurePolicy}: a store failure while claiming, or in a step of an entry the caller owns
 * ({@link #claimAs}, {@link #completeAs}, {@link #releaseAs}), is bypassed under fail-open and thrown
 * under fail-closed.
 *
 * <p>Calls go one way: the engine creates {@link Claim}s and the {@code ClaimSteps} they share; a claim
 * keeps its own state and calls down into those steps, never back into the engine.
 *
 * <p>Thread-safe; one engine serves a whole application. {@link #close()} stops the lease renewer.
 */
public final class DedupEngine implements AutoCloseable {

	private static final Logger log = LoggerFactory.getLogger(DedupEngine.class);

	private final DedupStore store;

	private final DedupEngineConfig config;

	private final ClaimSteps steps;

	/**
	 * An engine with the {@linkplain DedupEngineConfig#ofDefaults() default configuration}: fail-closed, and
	 * its own daemon thread for lease renewal.
	 */
	public DedupEngine(DedupStore store) {
		this(store, DedupEngineConfig.ofDefaults());
	}

	/** An engine configured by {@code config}; see {@link DedupEngineConfig#custom()}. */
	public DedupEngine(DedupStore store, DedupEngineConfig config) {
		this.store = Objects.requireNonNull(store, "store");
		this.config = Objects.requireNonNull(config, "config");
		this.steps = new ClaimSteps(store, config);
	}

	public DedupStore store() {
		return this.store;
	}

	public DedupEngineConfig config() {
		return this.config;
	}

	public StoreFailurePolicy storeFailurePolicy() {
		return this.config.storeFailurePolicy();
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
	 * What the store holds for {@code key} ({@link DedupStore#inspect}): a read for operators and hints (time
	 * left of a cooldown), never a decision. Not subject to the store-failure policy: a store that cannot
	 * answer throws.
	 */
	public Optional<StoredEntry> inspect(String key) {
		return this.store.inspect(key);
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
			claim.renewFromNow(lease);
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
		return awaitingBegin(claimKeys(keys, lease,
				owner -> keys.isEmpty() ? List.of() : this.store.claimAll(keys, owner, lease)), lease);
	}

	/** Claims made ahead of their work: not renewed until {@link Claim#begin()}. */
	private static List<Claim> awaitingBegin(List<Claim> claims, Duration lease) {
		long claimedAt = System.nanoTime();
		claims.forEach(claim -> claim.awaitBegin(lease, claimedAt));
		return claims;
	}

	/**
	 * As {@link #claimAll}, for a poll whose claims are marked with one {@link #completeAll} call per
	 * retention at its end ({@link DedupStore#claimPoll}): when that call completes every claim of the poll
	 * still open, after the others were completed or released, a store that can marks them all in one write.
	 * Any other completion of these claims works as for {@link #claimAll}. A store that keeps one lease per
	 * poll renews all of its keys while any of them is renewed.
	 * @param retention the retention the poll's claims will be completed with
	 */
	public List<Claim> claimPoll(List<String> keys, Duration lease, Duration retention) {
		Durations.requireAtLeastOneMilli(retention, "retention");
		if (!this.store.completesPollsInOneWrite()) {
			return claimAll(keys, lease); // the same steps, without the bookkeeping
		}
		List<Claim> claims = claimKeys(keys, lease,
				owner -> keys.isEmpty() ? List.of() : this.store.claimPoll(keys, owner, lease, retention));
		List<Claim> acquired = claims.stream()
			.filter(claim -> claim.status() == ClaimStatus.ACQUIRED && !claim.joinsTransaction())
			.toList();
		PollGroup group = new PollGroup(acquired.size());
		acquired.forEach(claim -> claim.joinPoll(group));
		return awaitingBegin(claims, lease);
	}

	/**
	 * Claim {@code key} for an owner the caller chose, for an entry the caller keeps track of itself across
	 * requests (TOKEN's submit tokens). The claim is never renewed, and is closed from the start: the caller
	 * completes or releases the entry later with {@link #completeAs} or {@link #releaseAs}, by key and owner.
	 * @return the claim's status (and, for IN_PROGRESS, the other owner's remaining lease)
	 * @throws DedupStoreException if the store is unreachable and the policy is fail-closed (with fail-open
	 * the answer is {@link ClaimStatus#BYPASSED})
	 */
	public Claim claimAs(String key, String owner, Duration lease) {
		Objects.requireNonNull(owner, "owner");
		Durations.requireAtLeastOneMilli(lease, "lease");
		try {
			boolean joinsTransaction = this.store.joinsCurrentTransaction();
			ClaimResult answer = this.store.claim(key, owner, lease);
			return new Claim(this.steps, key, owner, status(answer.outcome()), answer, joinsTransaction, false);
		}
		catch (DedupStoreException ex) {
			bypassOrThrow(ex, "skipping the claim of '" + key + "'");
			return bypassed(key, owner);
		}
	}

	/**
	 * Mark {@code key}, CONSUMING under {@code owner}, CONSUMED for {@code retention}, in one attempt: for a
	 * caller-owned entry this is a decision before the work (consuming a token), not the mark after it.
	 * @return DONE; ALREADY_CONSUMED or NOT_HELD if refused (told apart by one read); BYPASSED under fail-open
	 * @throws DedupStoreException if the store is unreachable and the policy is fail-closed
	 */
	public StepOutcome completeAs(String key, String owner, Duration retention) {
		Durations.requireAtLeastOneMilli(retention, "retention");
		try {
			if (this.store.complete(key, owner, retention, null)) {
				return StepOutcome.DONE;
			}
			Optional<StoredEntry> entry = this.store.inspect(key);
			return entry.isPresent() && entry.get().state() == StoredEntry.State.CONSUMED
					? StepOutcome.ALREADY_CONSUMED : StepOutcome.NOT_HELD;
		}
		catch (DedupStoreException ex) {
			bypassOrThrow(ex, "skipping the completion of '" + key + "'");
			return StepOutcome.BYPASSED;
		}
	}

	/**
	 * Delete {@code key} if it is CONSUMING under {@code owner}.
	 * @return DONE, NOT_HELD, or BYPASSED under fail-open
	 * @throws DedupStoreException if the store is unreachable and the policy is fail-closed
	 */
	public StepOutcome releaseAs(String key, String owner) {
		try {
			return this.store.release(key, owner) ? StepOutcome.DONE : StepOutcome.NOT_HELD;
		}
		catch (DedupStoreException ex) {
			bypassOrThrow(ex, "skipping the release of '" + key + "'");
			return StepOutcome.BYPASSED;
		}
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
			bypassOrThrow(ex, "running " + (keys.size() == 1 ? "'" + keys.get(0) + "'" : keys.size() + " keys")
					+ " without dedup protection");
			return keys.stream().map(key -> bypassed(key, owner)).toList();
		}
		if (answers.size() != keys.size()) {
			throw new DedupStoreException("The store answered " + answers.size() + " claims for " + keys.size()
					+ " keys");
		}
		List<Claim> claims = new ArrayList<>(keys.size());
		for (int i = 0; i < keys.size(); i++) {
			ClaimResult answer = answers.get(i);
			claims.add(new Claim(this.steps, keys.get(i), owner, status(answer.outcome()), answer, joinsTransaction,
					true));
		}
		return claims;
	}

	/**
	 * The one store-failure decision: returns (after a warning) under fail-open, so the caller answers
	 * BYPASSED; throws {@code ex} under fail-closed.
	 * @param bypass what the caller does instead, for the warning
	 */
	private void bypassOrThrow(DedupStoreException ex, String bypass) {
		if (this.config.storeFailurePolicy() != StoreFailurePolicy.FAIL_OPEN) {
			throw ex;
		}
		log.warn("Dedup store unavailable, {} (fail-open): {}", bypass, ex.getMessage());
	}

	private Claim bypassed(String key, String owner) {
		return new Claim(this.steps, key, owner, ClaimStatus.BYPASSED, null, false, false);
	}

	private static ClaimStatus status(ClaimOutcome outcome) {
		return switch (outcome) {
			case ACQUIRED -> ClaimStatus.ACQUIRED;
			case DUPLICATE -> ClaimStatus.DUPLICATE;
			case IN_PROGRESS -> ClaimStatus.IN_PROGRESS;
		};
	}

	/**
	 * Mark several acquired claims CONSUMED for {@code retention}, with one store call per owner where the
	 * store can ({@link DedupStore#completeAll}); claims from one {@link #claimAll} share an owner. Retries
	 * through short store outages like {@link Claim#complete(Duration)}. Every claim is closed, whatever
	 * the answer. Claims that {@linkplain Claim#joinsTransaction() joined} the caller's transaction are
	 * completed in it, without retries; call this on their transaction's thread, before it commits.
	 * @return per claim, in order: true if it is now CONSUMED, false if its lease was lost to another owner
	 * @throws DedupStoreException if the store stayed unreachable through the retries; the claims' CONSUMING
	 * entries then expire with their leases
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
			Claim first = claims.get(group.getValue().get(0));
			PollGroup poll = first.poll();
			List<Boolean> answers;
			try {
				// One owner is one poll: its claims are the rest of that poll, or some of them.
				answers = poll != null && poll.areTheRest(keys.size())
						? this.steps.completePoll(keys, group.getKey(), retention)
						: this.steps.completeAll(keys, group.getKey(), retention, first.joinsTransaction());
			}
			catch (RuntimeException ex) {
				first.spoilPoll();
				throw ex;
			}
			for (int j = 0; j < keys.size(); j++) {
				int i = group.getValue().get(j);
				results[i] = answers.get(j);
				claims.get(i).completed(answers.get(j));
			}
		}
		return List.of(results);
	}

	/** Stops the lease renewer, unless it is the caller's ({@link DedupEngineConfig#renewalScheduler()}). */
	@Override
	public void close() {
		this.steps.shutdown();
	}

	/** Claims whose lease is being renewed (for tests). */
	int liveRenewals() {
		return this.steps.liveRenewals();
	}

	/** 128 random bits: owners need only be unique, not secret. */
	static String newOwnerId() {
		ThreadLocalRandom random = ThreadLocalRandom.current();
		return Long.toHexString(random.nextLong()) + Long.toHexString(random.nextLong());
	}

}
