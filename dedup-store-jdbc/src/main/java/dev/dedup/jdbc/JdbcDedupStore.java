package dev.dedup.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;

import javax.sql.DataSource;

import org.jspecify.annotations.Nullable;
import org.springframework.dao.DataAccessException;

import dev.dedup.core.Durations;
import dev.dedup.core.store.ClaimOutcome;
import dev.dedup.core.store.ClaimResult;
import dev.dedup.core.store.DedupStore;
import dev.dedup.core.store.DedupStoreException;
import dev.dedup.core.store.StoredEntry;

/**
 * A {@link DedupStore} on one SQL table (see the migrations under {@code dev/dedup/jdbc/migration}): the
 * whole {@code DedupKeys} key in one primary-key column, a state ({@code C}/{@code D}), the owner, an expiry
 * on the database's clock, an optional result, and an index on the expiry for the purge.
 *
 * <p>Each step is one statement in the common case, and none needs a transaction of its own: the vendor's
 * upsert (or, for a MySQL batch of new keys, an all-or-nothing INSERT) makes "absent or expired → CONSUMING"
 * a single atomic step, with no SELECT-then-INSERT race. A claim answer hidden by a concurrent change between
 * two statements is retried, at most {@value #CLAIM_ATTEMPTS} times. Batches are multi-row statements, one
 * round trip each for a whole poll of new ids.
 *
 * <p><b>Transactional mode.</b> With {@code joinTransactions}, when the calling thread runs a Spring-managed
 * transaction on this store's DataSource (a DataSourceTransactionManager, a JPA one, a Kafka container with
 * one), steps run on that transaction's connection: the claim commits or rolls back with the caller's own
 * writes ({@link #joinsCurrentTransaction()}). Otherwise every step takes a connection of its own and
 * commits at once, whatever transaction the thread is in.
 *
 * <p>Every failure to reach or use the database is thrown as a {@link DedupStoreException}.
 */
public final class JdbcDedupStore implements DedupStore {

	/**
	 * Bytes in the key column ({@code VARBINARY(512)} on MySQL; {@code VARCHAR(512)} characters elsewhere,
	 * which hold at least 512 UTF-8 bytes). Longer keys are hashed by {@code DedupKeys}.
	 */
	public static final int MAX_KEY_LENGTH = StepArguments.MAX_KEY_LENGTH;

	static final int CLAIM_ATTEMPTS = 10;

	private final DataSource dataSource;

	private final JdbcDialect dialect;

	private final TableName table;

	private final TableSql sql;

	private final boolean joinTransactions;

	private final Connections connections;

	private volatile boolean prepared;

	/** The deadline of a step unless the constructor names another: {@code dedup.store-timeout}'s default. */
	public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);

	/**
	 * A store whose steps on connections of their own time out after {@link #DEFAULT_TIMEOUT}.
	 * @see #JdbcDedupStore(DataSource, JdbcDialect, TableName, boolean, Duration)
	 */
	public JdbcDedupStore(DataSource dataSource, JdbcDialect dialect, TableName table, boolean joinTransactions) {
		this(dataSource, dialect, table, joinTransactions, DEFAULT_TIMEOUT);
	}

	/**
	 * @param dataSource the database; in transactional mode, the one the application's transactions use
	 * @param dialect its dialect ({@link JdbcDialect#detect(DataSource)})
	 * @param table the dedup table, created by the migrations of {@link JdbcDedupMigrations}
	 * @param joinTransactions whether steps join a Spring-managed transaction on this DataSource
	 * @param timeout the deadline of a step on a connection of its own (the driver's network timeout); a
	 * step in the caller's transaction is bounded by that transaction's timeout, and taking a connection
	 * from the pool by the pool's (HikariCP: {@code connectionTimeout})
	 */
	public JdbcDedupStore(DataSource dataSource, JdbcDialect dialect, TableName table, boolean joinTransactions,
			Duration timeout) {
		Durations.requireAtLeastOneMilli(timeout, "store timeout");
		this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
		this.dialect = Objects.requireNonNull(dialect, "dialect");
		this.table = Objects.requireNonNull(table, "table");
		this.sql = dialect.sql(table);
		this.joinTransactions = joinTransactions;
		this.connections = new Connections(dataSource, timeout);
	}

	public JdbcDialect dialect() {
		return this.dialect;
	}

	public TableName table() {
		return this.table;
	}

	public DataSource dataSource() {
		return this.dataSource;
	}

	@Override
	public boolean joinsCurrentTransaction() {
		return this.joinTransactions && this.connections.inTransaction();
	}

	@Override
	public ClaimResult claim(String key, String owner, Duration lease) {
		return claimAll(List.of(key), owner, lease).get(0);
	}

	@Override
	public List<ClaimResult> claimAll(List<String> keys, String owner, Duration lease) {
		return claimInChunks(keys, owner, lease, null);
	}

	/**
	 * On MySQL, MariaDB and PostgreSQL ({@link TableSql#keepsPolls()}), outside the caller's transaction: the poll's keys
	 * in state {@code P} under one poll row, which holds the lease and, once {@link #completePoll} marks it,
	 * the CONSUMED state of them all. Elsewhere as {@link #claimAll}.
	 */
	@Override
	public List<ClaimResult> claimPoll(List<String> keys, String owner, Duration lease, Duration retention) {
		long retentionMillis = StepArguments.millis("retention", retention);
		if (!this.sql.keepsPolls() || joinsCurrentTransaction()) {
			return claimAll(keys, owner, lease);
		}
		StepArguments.checkOwner(owner);
		long keyRowMillis = Math.max(StepArguments.millis("lease", lease), retentionMillis);
		return claimInChunks(keys, owner, lease, new PollClaim(owner, keyRowMillis));
	}

	/** On MySQL, MariaDB and PostgreSQL: see {@link #claimPoll}. */
	@Override
	public boolean completesPollsInOneWrite() {
		return this.sql.keepsPolls();
	}

	/**
	 * Where the poll was claimed with {@link #claimPoll}: one single-row UPDATE of the poll's row, which marks
	 * every key row it holds, whatever their number. When that row is not CONSUMING and live (the poll's lease
	 * was lost, or the poll was claimed in a transaction or elsewhere as rows of their own), as
	 * {@link #completeAll}. A key evicted while the poll ran answers true with the others: its row is gone
	 * either way, and the next copy of its message runs.
	 */
	@Override
	public List<Boolean> completePoll(List<String> keys, String owner, Duration retention) {
		long retentionMillis = StepArguments.millis("retention", retention);
		if (this.sql.keepsPolls() && !joinsCurrentTransaction() && !keys.isEmpty() && StepArguments.fitsOwner(owner)
				&& new TreeSet<>(keys).size() == keys.size() && run("complete a poll of " + keys.size() + " keys",
						connection -> this.sql.markPollRow(connection, owner, retentionMillis))) {
			return Collections.nCopies(keys.size(), Boolean.TRUE);
		}
		return completeAll(keys, owner, retention);
	}

	/** The claim of {@link #claimAll}, or of {@link #claimPoll} when {@code poll} is given. */
	private List<ClaimResult> claimInChunks(List<String> keys, String owner, Duration lease,
			@Nullable PollClaim poll) {
		if (keys.isEmpty()) {
			return List.of();
		}
		long leaseMillis = StepArguments.millis("lease", lease);
		StepArguments.checkOwner(owner);
		keys.forEach(StepArguments::checkKey);
		Map<String, ClaimResult> answers = new HashMap<>();
		List<String> pending = new ArrayList<>(new TreeSet<>(keys));
		for (int attempt = 1; !pending.isEmpty(); attempt++) {
			if (attempt > CLAIM_ATTEMPTS) {
				throw new DedupStoreException("JDBC dedup store could not claim " + pending.size() + " keys: rows kept "
						+ "changing under " + CLAIM_ATTEMPTS + " attempts");
			}
			List<String> retry = new ArrayList<>();
			StepContext where = StepContext.of(joinsCurrentTransaction());
			for (List<String> chunk : StepArguments.chunks(pending)) {
				@Nullable ClaimResult[] results = run("claim " + StepArguments.describe(chunk),
						connection -> poll == null ? this.sql.claim(connection, chunk, owner, leaseMillis, where)
								: this.sql.claimPoll(connection, chunk, poll, leaseMillis));
				for (int i = 0; i < chunk.size(); i++) {
					ClaimResult result = results[i];
					if (result == null) {
						retry.add(chunk.get(i));
					}
					else {
						answers.put(chunk.get(i), result);
					}
				}
			}
			pending = retry;
		}
		return inCallOrder(keys, answers, lease);
	}

	@Override
	public boolean complete(String key, String owner, Duration retention, byte @Nullable [] result) {
		long retentionMillis = StepArguments.millis("retention", retention);
		if (!StepArguments.fits(key, owner)) {
			return false;
		}
		// Inside the transaction the row is ours and locked (see StepContext), and the mark commits with the work.
		StepContext where = StepContext.of(joinsCurrentTransaction());
		return run("complete '" + key + "'",
				connection -> this.sql.complete(connection, key, owner, retentionMillis, result, where));
	}

	@Override
	public boolean release(String key, String owner) {
		if (!StepArguments.fits(key, owner)) {
			return false;
		}
		StepContext where = StepContext.of(joinsCurrentTransaction());
		return run("release '" + key + "'", connection -> this.sql.release(connection, key, owner, where));
	}

	@Override
	public boolean renew(String key, String owner, Duration lease) {
		long leaseMillis = StepArguments.millis("lease", lease);
		if (!StepArguments.fits(key, owner)) {
			return false;
		}
		return run("renew '" + key + "'", connection -> this.sql.renew(connection, key, owner, leaseMillis));
	}

	@Override
	public List<Boolean> completeAll(List<String> keys, String owner, Duration retention) {
		if (keys.isEmpty()) {
			return List.of();
		}
		long retentionMillis = StepArguments.millis("retention", retention);
		StepContext where = StepContext.of(joinsCurrentTransaction());
		List<String> distinct = new ArrayList<>(new TreeSet<>(keys.stream().filter(StepArguments::fits).toList()));
		Map<String, Boolean> completed = new HashMap<>();
		if (StepArguments.fitsOwner(owner)) {
			for (List<String> chunk : StepArguments.chunks(distinct)) {
				boolean[] results = run("complete " + StepArguments.describe(chunk),
						connection -> this.sql.completeAll(connection, chunk, owner, retentionMillis, where));
				for (int i = 0; i < chunk.size(); i++) {
					completed.put(chunk.get(i), results[i]);
				}
			}
		}
		List<Boolean> answers = new ArrayList<>(keys.size());
		for (String key : keys) {
			// A key repeated in the list was completed by its first occurrence, so the second finds it CONSUMED.
			answers.add(Boolean.TRUE.equals(completed.remove(key)));
		}
		return answers;
	}

	@Override
	public Optional<StoredEntry> inspect(String key) {
		if (!StepArguments.fits(key)) {
			return Optional.empty(); // no row can hold a key the column cannot
		}
		LiveRow row = run("inspect '" + key + "'",
				connection -> this.sql.readLive(connection, List.of(key), false).get(key));
		if (row == null) {
			return Optional.empty();
		}
		Duration remaining = Duration.ofMillis(Math.max(0, row.remainingMillis()));
		return Optional.of(LiveRow.CONSUMED.equals(row.state()) ? StoredEntry.consumed(remaining, row.result())
				: StoredEntry.consuming(String.valueOf(row.owner()), remaining));
	}

	/** On a connection of its own, never in the caller's transaction: an operator's delete commits at once. */
	@Override
	public boolean evict(String key) {
		if (!StepArguments.fits(key)) {
			return false;
		}
		return run("evict '" + key + "'", connection -> this.sql.evict(connection, key), false);
	}

	/** The driver's own validation ({@link Connection#isValid}: a ping on MySQL and PostgreSQL), in the deadline. */
	@Override
	public void ping() {
		boolean valid = run("ping", connection -> connection.isValid(this.connections.timeoutSeconds()), false);
		if (!valid) {
			throw new DedupStoreException("JDBC dedup store could not ping: the connection is not valid");
		}
	}

	/**
	 * Deletes at most {@code limit} expired rows, on a connection of its own.
	 * @return how many rows were deleted
	 */
	public int purgeExpired(int limit) {
		if (limit < 1) {
			throw new IllegalArgumentException("The purge batch size must be at least 1, was " + limit);
		}
		return run("purge", connection -> this.sql.purge(connection, limit), false);
	}

	/** {@value #MAX_KEY_LENGTH}: see {@link #MAX_KEY_LENGTH}. */
	@Override
	public int maxKeyLength() {
		return MAX_KEY_LENGTH;
	}

	/** Whether this store's MySQL connections report affected rows (null for other dialects or before use). */
	@Nullable
	Boolean usesAffectedRows() {
		return this.sql instanceof MySqlTableSql mysql && this.prepared ? mysql.usesAffectedRows() : null;
	}

	/** Whether this store's MySQL connections carry keys as text (null for other dialects or before use). */
	@Nullable
	Boolean bindsKeysAsText() {
		return this.sql instanceof MySqlTableSql mysql && this.prepared ? mysql.bindsTextAsText() : null;
	}

	@Override
	public String toString() {
		return "JdbcDedupStore[" + this.dialect + ", " + this.table + (this.joinTransactions ? ", transactional" : "")
				+ "]";
	}

	private <T> T run(String action, Connections.Work<T> work) {
		return run(action, work, this.joinTransactions);
	}

	private <T> T run(String action, Connections.Work<T> work, boolean mayJoin) {
		try {
			prepareOnce();
			return this.connections.run(mayJoin, work);
		}
		catch (SQLException | DataAccessException ex) {
			throw new DedupStoreException("JDBC dedup store could not " + action + ": " + ex.getMessage(), ex);
		}
	}

	private void prepareOnce() throws SQLException {
		if (this.prepared) {
			return;
		}
		synchronized (this) {
			if (!this.prepared) {
				this.connections.run(false, connection -> {
					this.sql.prepare(connection);
					return null;
				});
				this.prepared = true;
			}
		}
	}

	/**
	 * Answers in the caller's order. A key repeated in the list answers as if claimed again at once: an
	 * acquired key is now IN_PROGRESS under this owner's whole lease; anything else answers the same again.
	 */
	private static List<ClaimResult> inCallOrder(List<String> keys, Map<String, ClaimResult> answers, Duration lease) {
		List<ClaimResult> ordered = new ArrayList<>(keys.size());
		Map<String, Boolean> seen = new HashMap<>();
		for (String key : keys) {
			ClaimResult answer = answers.get(key);
			if (seen.put(key, Boolean.TRUE) != null && answer.outcome() == ClaimOutcome.ACQUIRED) {
				answer = ClaimResult.inProgress(lease);
			}
			ordered.add(answer);
		}
		return ordered;
	}

}
