package dev.dedup.kafka.listener;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.listener.RecordInterceptor;
import org.springframework.kafka.support.KafkaUtils;
import org.springframework.scheduling.concurrent.CustomizableThreadFactory;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import dev.dedup.core.engine.Claim;
import dev.dedup.core.engine.ClaimStatus;
import dev.dedup.core.engine.DedupEngine;
import dev.dedup.core.key.DedupKeys;
import dev.dedup.core.key.InvalidMessageIdException;
import dev.dedup.core.store.DedupStoreException;
import dev.dedup.core.store.ForeignEntryException;
import dev.dedup.kafka.listener.DedupKafkaStats.Event;
import dev.dedup.kafka.listener.PollClaims.Completion;

/**
 * Claims each record's id before the listener runs, and completes or releases the claim after it. Maps
 * the engine's answer onto spring-kafka: ACQUIRED → run; DUPLICATE → return null (the container skips and
 * acknowledges the record); IN_PROGRESS or store down (fail-closed) → {@link DedupRetryLaterException},
 * which {@link DedupAwareErrorHandler} turns into a budget-free redelivery.
 *
 * <p>spring-kafka calls {@code success()} also for records that {@code intercept()} skipped, and calls
 * {@code intercept()} again for every redelivery. So the claim acquired for a record is remembered on the
 * consumer thread and only that claim is completed or released: a skipped record completes nothing, and
 * {@code failure()} for a record this consumer did not acquire releases nothing.
 *
 * <p>When the store writes the claim in the listener's own transaction (the JDBC store, with a container
 * whose transaction manager runs on the store's DataSource), the record is marked CONSUMED inside that
 * transaction, just before it commits: the mark and the listener's database writes commit or roll back
 * together. Otherwise, in a transaction the mark waits until after the commit.
 *
 * <p><b>Poll batching</b> (on by default, outside transactions): when {@link PollCapturingInterceptor} shows
 * the consumer thread its poll, the first record of the poll claims the ids of all the poll's records in
 * one store call ({@link DedupEngine#claimAll}), and each record's claim is begun when its turn comes. The
 * marks of successful records go to a {@link CompletionLane}, which writes many per store call while
 * the consumer thread moves on; before the poll's offsets are committed ({@link #clearThreadState}) the
 * consumer thread waits for them and releases the claims of records that never came up (after an error the
 * container seeks back to them). An id repeated inside the poll is claimed on its own at its turn, after
 * the marks handed over so far are written, and so is a record whose claim ran out of lease while it
 * waited. The price: a crash loses the marks still on their way (at most about one store round trip of
 * records), and those records run again on redelivery, where one at a time only the record being marked
 * would. Turn it off with {@code dedup.kafka.batch-polls=false}.
 */
public class DedupRecordInterceptor<K, V> implements RecordInterceptor<K, V>, AutoCloseable {

	private static final Logger log = LoggerFactory.getLogger(DedupRecordInterceptor.class);

	/** Scope for consumers without a group (manual assignment without group.id). */
	static final String NO_GROUP_SCOPE = "-";

	private static final Duration MIN_WAIT = Duration.ofMillis(100);

	private static final Duration MAX_WAIT = Duration.ofSeconds(5);

	private static final Duration STORE_DOWN_WAIT = Duration.ofSeconds(1);

	private final DedupEngine engine;

	private final DedupKeys keys;

	private final ListenerSettingsResolver settings;

	private final DedupKafkaStats stats;

	private final ThreadLocal<@Nullable ActiveClaim> active = new ThreadLocal<>();

	private final boolean batchPolls;

	private final ThreadLocal<PollClaims> pollClaims;

	/** Runs the consumer threads' {@link CompletionLane}s; a thread is held only while a lane has work. */
	private final ExecutorService completers;

	/** An interceptor that batches polls where it can. */
	public DedupRecordInterceptor(DedupEngine engine, DedupKeys keys, ListenerSettingsResolver settings,
			DedupKafkaStats stats) {
		this(engine, keys, settings, stats, true);
	}

	/**
	 * @param batchPolls whether to claim a poll's records in one store call and mark them in batches, where
	 * {@link PollCapturingInterceptor} is installed and no transaction is active (see the class comment);
	 * ignored for a store that {@linkplain dev.dedup.core.store.DedupStore#isInProcess() answers in process}
	 */
	public DedupRecordInterceptor(DedupEngine engine, DedupKeys keys, ListenerSettingsResolver settings,
			DedupKafkaStats stats, boolean batchPolls) {
		this.engine = Objects.requireNonNull(engine, "engine");
		this.keys = Objects.requireNonNull(keys, "keys");
		this.settings = Objects.requireNonNull(settings, "settings");
		this.stats = Objects.requireNonNull(stats, "stats");
		// An in-process store answers in nanoseconds: batching it would only add hand-offs.
		this.batchPolls = batchPolls && !engine.store().isInProcess();
		CustomizableThreadFactory threads = new CustomizableThreadFactory("dedup-completer-");
		threads.setDaemon(true);
		this.completers = Executors.newCachedThreadPool(threads);
		this.pollClaims = ThreadLocal.withInitial(() -> new PollClaims(new CompletionLane(engine, this.completers)));
	}

	public DedupKafkaStats stats() {
		return this.stats;
	}

	/** Whether this interceptor claims whole polls where {@link PollCapturingInterceptor} is installed. */
	public boolean batchesPolls() {
		return this.batchPolls;
	}

	@Override
	public void setupThreadState(Consumer<?, ?> consumer) {
		if (this.batchPolls) {
			PollCapturingInterceptor.expectPoll();
		}
	}

	@Override
	public @Nullable ConsumerRecord<K, V> intercept(ConsumerRecord<K, V> record, Consumer<K, V> consumer) {
		releaseLeftover();
		String group = KafkaUtils.getConsumerGroupId();
		ListenerDedupSettings listener = this.settings.resolve(group, record.topic());
		String key = keyFor(record, group, listener);
		if (key == null) {
			return record;
		}
		Claim claim;
		boolean batched;
		try {
			Claim claimedAhead = claimedAhead(record, key, group);
			batched = claimedAhead != null;
			claim = batched ? claimedAhead : claimNow(key, listener);
		}
		catch (DedupStoreException ex) {
			this.stats.record(Event.STORE_UNAVAILABLE_RETRIED);
			throw new DedupRetryLaterException("Dedup store unavailable (fail-closed); " + describe(record)
					+ " will be redelivered: " + ex.getMessage(), STORE_DOWN_WAIT, ex);
		}
		catch (ForeignEntryException ex) {
			// Like a poison payload: the error handler's retries, then its recoverer (a DLT, if configured).
			this.stats.record(Event.FOREIGN_ENTRY_REJECTED);
			log.error("{} cannot be deduplicated and goes to the error handler: {}", describe(record), ex.getMessage());
			throw ex;
		}
		switch (claim.status()) {
			case ACQUIRED -> {
				this.stats.record(Event.ACQUIRED);
				this.active.set(new ActiveClaim(record.topic(), record.partition(), record.offset(), claim,
						listener.retention(), batched));
				return record;
			}
			case BYPASSED -> {
				this.stats.record(Event.STORE_UNAVAILABLE_BYPASSED);
				return record;
			}
			case DUPLICATE -> {
				this.stats.record(Event.DUPLICATE);
				log.debug("Skipping duplicate {} (key {})", describe(record), key);
				return null;
			}
			case IN_PROGRESS -> {
				if (listener.onInProgress() == InProgressPolicy.SKIP) {
					this.stats.record(Event.IN_PROGRESS_SKIPPED);
					log.debug("Skipping {}: key {} is being processed elsewhere", describe(record), key);
					return null;
				}
				this.stats.record(Event.IN_PROGRESS_RETRIED);
				throw new DedupRetryLaterException("Key " + key + " of " + describe(record)
						+ " is being processed by another consumer; will retry", waitFor(claim.remainingLease()),
						null);
			}
		}
		throw new IllegalStateException("Unknown claim status " + claim.status());
	}

	/**
	 * The claim made ahead for this record when its poll was claimed in one call (claiming the poll now if
	 * this is its first record). Null means "claim it now on its own": the record was not claimed ahead, or
	 * its claim ran out of lease while it waited.
	 * @throws DedupStoreException if the store is down (fail-closed) while claiming the poll or beginning
	 * the claim
	 */
	private @Nullable Claim claimedAhead(ConsumerRecord<K, V> record, String key, @Nullable String group) {
		if (!this.batchPolls || TransactionSynchronizationManager.isSynchronizationActive()) {
			return null; // in a transaction each record's claim belongs to its own transaction
		}
		ConsumerRecords<?, ?> poll = PollCapturingInterceptor.lastPoll();
		if (poll == null) {
			return null;
		}
		PollClaims claims = this.pollClaims.get();
		if (!claims.hasClaimedAhead(poll)) {
			try {
				claims.claimAhead(poll, record, this.engine, next -> {
					ListenerDedupSettings listener = this.settings.resolve(group, next.topic());
					String nextKey = quietKeyFor(next, group, listener);
					return nextKey == null ? null : new PollClaims.KeyAndLease(nextKey, listener.lease());
				});
			}
			catch (ForeignEntryException ex) {
				// Claimed one at a time, only the record whose key holds the foreign entry fails.
				log.warn("A key of this poll holds an entry dedup did not write; claiming its records one at a "
						+ "time: {}", ex.getMessage());
				claims.claimNothingAhead(poll);
				return null;
			}
		}
		Claim claim = claims.take(record, key);
		if (claim == null) {
			return null;
		}
		return claim.status() != ClaimStatus.ACQUIRED || claim.begin() ? claim : null;
	}

	/** Claims one record's key, after the marks handed over so far are written (a repeat must see them). */
	private Claim claimNow(String key, ListenerDedupSettings listener) {
		awaitCompletions();
		return this.engine.claim(key, listener.lease());
	}

	@Override
	public void success(ConsumerRecord<K, V> record, Consumer<K, V> consumer) {
		ActiveClaim claim = take(record);
		if (claim == null) {
			return; // skipped, bypassed or never claimed here: nothing to complete
		}
		if (claim.claim().joinsTransaction() && TransactionSynchronizationManager.isSynchronizationActive()) {
			completeWithinTransaction(record, claim);
			return;
		}
		if (TransactionSynchronizationManager.isSynchronizationActive()) {
			// In a transactional container the record is done only when the transaction commits: marking it
			// earlier would turn a failed commit (output and offsets rolled back) into a skipped redelivery.
			TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {

				@Override
				public void afterCompletion(int status) {
					if (status == STATUS_COMMITTED) {
						complete(record, claim);
					}
					else if (claim.claim().release()) {
						DedupRecordInterceptor.this.stats.record(Event.RELEASED);
					}
				}

			});
			return;
		}
		if (claim.batched()) {
			PollClaims claims = this.pollClaims.get();
			claims.completing(record, claims.lane().submit(claim.claim(), claim.retention()));
			return;
		}
		complete(record, claim);
	}

	/**
	 * The claim row was written in the listener's own transaction (a JDBC store on the transaction's
	 * DataSource): mark it CONSUMED in that transaction, just before it commits, so the mark and the
	 * listener's writes commit together or not at all. A failure to mark throws from beforeCommit, which
	 * rolls the transaction back (success() itself may not throw: the container only logs it), and a
	 * rollback takes the claim row with it.
	 */
	private void completeWithinTransaction(ConsumerRecord<K, V> record, ActiveClaim claim) {
		TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {

			@Override
			public void beforeCommit(boolean readOnly) {
				if (!claim.claim().complete(claim.retention())) {
					throw new IllegalStateException("Could not mark " + describe(record) + " CONSUMED in its "
							+ "transaction (the claim row is gone); rolling back so it is processed again");
				}
			}

			@Override
			public void afterCompletion(int status) {
				if (status == STATUS_COMMITTED) {
					DedupRecordInterceptor.this.stats.record(Event.COMPLETED);
				}
				else {
					claim.claim().rolledBack();
					DedupRecordInterceptor.this.stats.record(Event.RELEASED);
				}
			}

		});
	}

	private void complete(ConsumerRecord<K, V> record, ActiveClaim claim) {
		countMark(describe(record), () -> claim.claim().complete(claim.retention()));
	}

	/** Counts how marking a processed record CONSUMED went; a store that could not be told is only logged. */
	private void countMark(String record, BooleanSupplier mark) {
		try {
			this.stats.record(mark.getAsBoolean() ? Event.COMPLETED : Event.LEASE_LOST);
		}
		catch (DedupStoreException ex) {
			// The side effect happened and the offset will be committed; the CONSUMING entry expires with its
			// lease. Only a resend of this id after that would run again.
			this.stats.record(Event.COMPLETE_FAILED);
			log.error("{} was processed but could not be marked CONSUMED in the dedup store: {}", record,
					ex.getMessage());
		}
	}

	@Override
	public void failure(ConsumerRecord<K, V> record, Exception exception, Consumer<K, V> consumer) {
		ActiveClaim claim = take(record);
		if (claim != null && claim.claim().release()) {
			this.stats.record(Event.RELEASED);
		}
	}

	@Override
	public void afterRecord(ConsumerRecord<K, V> record, Consumer<K, V> consumer) {
		ActiveClaim claim = take(record);
		if (claim != null) {
			claim.claim().release(); // neither success nor failure was reported: let a redelivery claim it
		}
	}

	/**
	 * The end of a poll's processing, before the container commits its offsets: wait for the marks handed
	 * to the completion thread, and release the claims made ahead for records that never came up.
	 */
	@Override
	public void clearThreadState(Consumer<?, ?> consumer) {
		releaseLeftover();
		if (this.batchPolls) {
			awaitCompletions();
			for (Claim unused : this.pollClaims.get().endPoll()) {
				unused.release();
			}
			PollCapturingInterceptor.forget();
		}
	}

	private void awaitCompletions() {
		for (Completion completion : this.pollClaims.get().takeCompletions()) {
			countMark(completion.record(), () -> {
				try {
					return completion.done().join();
				}
				catch (CompletionException ex) {
					Throwable cause = ex.getCause() == null ? ex : ex.getCause();
					throw cause instanceof DedupStoreException storeFailure ? storeFailure
							: new DedupStoreException(cause.getMessage(), cause);
				}
			});
		}
	}

	/** Stops the completion threads, after they have marked what they were handed. */
	@Override
	public void close() {
		this.completers.shutdown();
		try {
			if (!this.completers.awaitTermination(30, TimeUnit.SECONDS)) {
				log.warn("Dedup completion threads still busy after 30 s; their records expire with their leases");
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	private @Nullable String keyFor(ConsumerRecord<K, V> record, @Nullable String group,
			ListenerDedupSettings listener) {
		String scope = scope(group);
		IdKey found = idKey(record, scope, listener);
		if (found.key() != null) {
			return found.key();
		}
		String problem = found.problem();
		switch (listener.missingId()) {
			case OFFSET -> {
				this.stats.record(Event.MISSING_ID_OFFSET);
				log.debug("{} {}; using its offset as the id", describe(record), problem);
				return offsetKey(scope, record);
			}
			case SKIP -> {
				this.stats.record(Event.MISSING_ID_BYPASSED);
				log.warn("{} {}; running it without dedup (dedup.kafka.missing-id=skip)", describe(record), problem);
				return null;
			}
			case REJECT -> {
				this.stats.record(Event.MISSING_ID_REJECTED);
				throw new InvalidMessageIdException(describe(record) + " " + problem
						+ " and dedup.kafka.missing-id=reject");
			}
		}
		throw new IllegalStateException("Unknown missing-id policy " + listener.missingId());
	}

	/**
	 * The key {@link #keyFor} will give this record at its turn, found without counting, logging or throwing;
	 * null where it will give none, or where the id resolver fails (that is reported at the record's turn).
	 */
	private @Nullable String quietKeyFor(ConsumerRecord<?, ?> record, @Nullable String group,
			ListenerDedupSettings listener) {
		String scope = scope(group);
		IdKey found;
		try {
			found = idKey(record, scope, listener);
		}
		catch (RuntimeException ex) {
			return null;
		}
		if (found.key() != null) {
			return found.key();
		}
		return listener.missingId() == MissingIdPolicy.OFFSET ? offsetKey(scope, record) : null;
	}

	/**
	 * The key made of the record's id, or why there is none (no id, or an unusable one). Anything else the
	 * id resolver throws is thrown.
	 */
	private IdKey idKey(ConsumerRecord<?, ?> record, String scope, ListenerDedupSettings listener) {
		try {
			String id = listener.idResolver().resolve(record);
			if (id != null && !id.isEmpty()) {
				return new IdKey(this.keys.key(scope, id), null);
			}
			return new IdKey(null, "has no message id (" + listener.idResolver() + ")");
		}
		catch (InvalidMessageIdException ex) {
			return new IdKey(null, "has an unusable message id: " + ex.getMessage());
		}
	}

	private static String scope(@Nullable String group) {
		return group == null || group.isEmpty() ? NO_GROUP_SCOPE : group;
	}

	private String offsetKey(String scope, ConsumerRecord<?, ?> record) {
		return this.keys.key(scope, "offset:" + record.topic() + "-" + record.partition() + "-" + record.offset());
	}

	private @Nullable ActiveClaim take(ConsumerRecord<K, V> record) {
		ActiveClaim claim = this.active.get();
		if (claim == null) {
			return null;
		}
		if (!claim.isFor(record)) {
			return null; // another record's claim; it is settled by that record's own callbacks
		}
		this.active.remove();
		return claim;
	}

	private void releaseLeftover() {
		ActiveClaim leftover = this.active.get();
		if (leftover != null) {
			this.active.remove();
			leftover.claim().release();
		}
	}

	private static Duration waitFor(Duration remainingLease) {
		if (remainingLease.compareTo(MIN_WAIT) < 0) {
			return MIN_WAIT;
		}
		return remainingLease.compareTo(MAX_WAIT) > 0 ? MAX_WAIT : remainingLease;
	}

	static String describe(ConsumerRecord<?, ?> record) {
		return "record " + record.topic() + "-" + record.partition() + "@" + record.offset();
	}

	/** A record's key from its id, or, when it has none, the {@code problem} to report. */
	private record IdKey(@Nullable String key, @Nullable String problem) {
	}

	/** The claim of the record being processed; {@code batched} if it was claimed ahead with its poll. */
	private record ActiveClaim(String topic, int partition, long offset, Claim claim, Duration retention,
			boolean batched) {

		boolean isFor(ConsumerRecord<?, ?> record) {
			return this.offset == record.offset() && this.partition == record.partition()
					&& this.topic.equals(record.topic());
		}

	}

}
