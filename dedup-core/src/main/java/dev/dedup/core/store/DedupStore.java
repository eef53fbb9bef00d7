package dev.dedup.core.store;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.jspecify.annotations.Nullable;

/**
 * The key store SPI. Each method is one atomic step of the state machine; the
 * {@link dev.dedup.core.engine.DedupEngine} decides which step to take. Expiry is measured on the store's
 * own clock, never the caller's.
 *
 * <pre>
 * entry for key              claim            complete        release   renew          inspect
 * none, or expired           CONSUMING; ACQ.  false           false     false          empty
 * CONSUMING, same owner      IN_PROGRESS      CONSUMED; true  delete    extend; true   the entry
 * CONSUMING, other owner     IN_PROGRESS      false           false     false          the entry
 * CONSUMED, not expired      DUPLICATE        false           false     false          the entry
 * </pre>
 *
 * Steps that change an entry check the owner (fencing): a caller whose lease ran out and was taken over
 * can neither mark nor delete the new owner's entry. Every method throws {@link DedupStoreException} when
 * the store cannot answer, and must do so within the store's own timeout (a batch within one timeout in
 * all), whatever its client library's default is: callers rely on it to bound a request. A step that timed
 * out may still take effect later, when a hung store wakes up.
 * <p>
 * A store may <em>join the caller's transaction</em> (the JDBC store does, on its own DataSource): see
 * {@link #joinsCurrentTransaction()}.
 */
public interface DedupStore {

	/**
	 * Claim {@code key} for {@code owner}: absent or expired → CONSUMING until now + lease.
	 */
	ClaimResult claim(String key, String owner, Duration lease);

	/**
	 * CONSUMING under {@code owner} → CONSUMED until now + retention, carrying {@code result}.
	 * @return false if the entry is not CONSUMING under this owner (the lease was lost)
	 */
	boolean complete(String key, String owner, Duration retention, byte @Nullable [] result);

	/**
	 * CONSUMING under {@code owner} → deleted, so a redelivery may claim it at once.
	 * @return false if the entry is not CONSUMING under this owner
	 */
	boolean release(String key, String owner);

	/**
	 * CONSUMING under {@code owner} → CONSUMING until now + lease.
	 * @return false if the entry is not CONSUMING under this owner (the lease was lost)
	 */
	boolean renew(String key, String owner, Duration lease);

	/**
	 * Read what the store holds for {@code key} without changing anything: no entry is created, extended or
	 * deleted, and no expiry moves. The read is atomic (state, owner, result and remaining time belong to one
	 * moment), but it may be stale when it returns, so never use it to decide a step: claim, complete,
	 * release and renew are the atomic decisions. It tells apart outcomes those steps leave ambiguous, e.g.
	 * whether a {@code complete} was refused because the entry is CONSUMED already or because it is gone.
	 * @return the entry, or empty if there is none or it has expired
	 */
	Optional<StoredEntry> inspect(String key);

	/**
	 * Claim several keys for one owner; the answer has one result per key, in order, as if each key were
	 * claimed in turn (a key repeated in the list answers IN_PROGRESS the second time). Stores that can
	 * should do this in one round trip.
	 */
	default List<ClaimResult> claimAll(List<String> keys, String owner, Duration lease) {
		List<ClaimResult> results = new ArrayList<>(keys.size());
		for (String key : keys) {
			results.add(claim(key, owner, lease));
		}
		return results;
	}

	/**
	 * Complete several keys claimed by one owner, without results; one answer per key, in order.
	 */
	default List<Boolean> completeAll(List<String> keys, String owner, Duration retention) {
		List<Boolean> results = new ArrayList<>(keys.size());
		for (String key : keys) {
			results.add(complete(key, owner, retention, null));
		}
		return results;
	}

	/**
	 * Claim a poll's keys for one new owner, so that {@link #completePoll} can later mark them CONSUMED
	 * together, in one write where the store can: answers as {@link #claimAll}. A store that can keeps one
	 * lease for the whole poll: renewing any of its keys renews all of them, and the poll's lease, not each
	 * key's, says whether they are held. {@code retention} is what {@code completePoll} will be given; such a
	 * store may use it to plan the keys' cleanup. {@code owner} must be new, used by no claim before (the
	 * engine's owners are random). The default is {@link #claimAll}.
	 */
	default List<ClaimResult> claimPoll(List<String> keys, String owner, Duration lease, Duration retention) {
		return claimAll(keys, owner, lease);
	}

	/**
	 * Complete the keys of a {@link #claimPoll} still claimed under {@code owner}: the caller lists all of
	 * them in {@code keys}, having completed or released every other key of that poll, and waited for those
	 * steps, first. One answer per key, in order, as {@link #completeAll}; a store that keeps one lease per
	 * poll answers false for every key when that lease was lost, and may answer true for a key
	 * {@linkplain #evict evicted} while the poll ran (its entry is gone either way). The default is
	 * {@link #completeAll}.
	 */
	default List<Boolean> completePoll(List<String> keys, String owner, Duration retention) {
		return completeAll(keys, owner, retention);
	}

	/**
	 * Whether {@link #completePoll} is one write for the whole poll here, where {@link #completeAll} writes
	 * each key: then a caller gains by completing a poll's claims together at its end rather than as they
	 * finish. False by default.
	 */
	default boolean completesPollsInOneWrite() {
		return false;
	}

	/**
	 * Deletes the entry under {@code key} whatever its state and owner: an operator's step (the Actuator
	 * endpoint's delete) to unstick one message, never a step of the state machine. A claim held under it
	 * loses its lease (its complete and release are refused); a CONSUMED entry is forgotten, so the next copy
	 * of the message runs. It runs on a connection of its own, never in the caller's transaction.
	 * @return true if an entry was deleted, false if there was none
	 * @throws ForeignEntryException if the key holds something dedup did not write (it is left alone)
	 * @throws UnsupportedOperationException if this store cannot delete single entries
	 */
	default boolean evict(String key) {
		throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot evict single entries");
	}

	/**
	 * Makes one cheap request (Redis {@code PING}, a JDBC validation query) within the store timeout, for a
	 * health check. The default inspects a key no message uses.
	 * @throws DedupStoreException if the store does not answer in time
	 */
	default void ping() {
		inspect("dedup-health-check");
	}

	/**
	 * Whether steps called on this thread right now are written in the caller's own transaction, so that
	 * they commit or roll back together with the caller's other writes. The engine asks before each claim.
	 * A claim written this way is invisible to other callers until the commit (they wait on its lock rather
	 * than see IN_PROGRESS), so its lease is not renewed; it must be completed <em>before</em> the commit,
	 * and a rollback removes it without any store call. Stores that never join a transaction answer false.
	 */
	default boolean joinsCurrentTransaction() {
		return false;
	}

	/**
	 * Whether this store answers in this process, without I/O (the in-memory store). Callers gain nothing
	 * from batching its calls or moving them to another thread, so they call it one step at a time.
	 */
	default boolean isInProcess() {
		return false;
	}

	/**
	 * The longest key, in UTF-8 bytes, this store accepts. Longer keys are hashed by
	 * {@link dev.dedup.core.key.DedupKeys}.
	 */
	default int maxKeyLength() {
		return 512;
	}

}
