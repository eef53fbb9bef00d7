package dev.dedup.kafka.listener;

import java.time.Duration;
import java.util.Objects;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.listener.RecordInterceptor;
import org.springframework.kafka.support.KafkaUtils;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import dev.dedup.core.engine.Claim;
import dev.dedup.core.engine.DedupEngine;
import dev.dedup.core.key.DedupKeys;
import dev.dedup.core.key.InvalidMessageIdException;
import dev.dedup.core.store.DedupStoreException;
import dev.dedup.kafka.listener.DedupKafkaStats.Event;

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
 */
public class DedupRecordInterceptor<K, V> implements RecordInterceptor<K, V> {

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

	public DedupRecordInterceptor(DedupEngine engine, DedupKeys keys, ListenerSettingsResolver settings,
			DedupKafkaStats stats) {
		this.engine = Objects.requireNonNull(engine, "engine");
		this.keys = Objects.requireNonNull(keys, "keys");
		this.settings = Objects.requireNonNull(settings, "settings");
		this.stats = Objects.requireNonNull(stats, "stats");
	}

	public DedupKafkaStats stats() {
		return this.stats;
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
		try {
			claim = this.engine.claim(key, listener.lease());
		}
		catch (DedupStoreException ex) {
			this.stats.record(Event.STORE_UNAVAILABLE_RETRIED);
			throw new DedupRetryLaterException("Dedup store unavailable (fail-closed); " + describe(record)
					+ " will be redelivered: " + ex.getMessage(), STORE_DOWN_WAIT, ex);
		}
		switch (claim.status()) {
			case ACQUIRED -> {
				this.stats.record(Event.ACQUIRED);
				this.active.set(new ActiveClaim(record.topic(), record.partition(), record.offset(), claim,
						listener.retention()));
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
		try {
			if (claim.claim().complete(claim.retention())) {
				this.stats.record(Event.COMPLETED);
			}
			else {
				this.stats.record(Event.LEASE_LOST);
			}
		}
		catch (DedupStoreException ex) {
			// The side effect happened and the offset will be committed; the CONSUMING entry expires with its
			// lease. Only a resend of this id after that would run again.
			this.stats.record(Event.COMPLETE_FAILED);
			log.error("{} was processed but could not be marked CONSUMED in the dedup store: {}",
					describe(record), ex.getMessage());
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

	@Override
	public void clearThreadState(Consumer<?, ?> consumer) {
		releaseLeftover();
	}

	private @Nullable String keyFor(ConsumerRecord<K, V> record, @Nullable String group,
			ListenerDedupSettings listener) {
		String scope = group == null || group.isEmpty() ? NO_GROUP_SCOPE : group;
		String id;
		String problem;
		try {
			id = listener.idResolver().resolve(record);
			if (id != null && !id.isEmpty()) {
				return this.keys.key(scope, id);
			}
			problem = "has no message id (" + listener.idResolver() + ")";
		}
		catch (InvalidMessageIdException ex) {
			problem = "has an unusable message id: " + ex.getMessage();
		}
		switch (listener.missingId()) {
			case OFFSET -> {
				this.stats.record(Event.MISSING_ID_OFFSET);
				log.debug("{} {}; using its offset as the id", describe(record), problem);
				return this.keys.key(scope, "offset:" + record.topic() + "-" + record.partition() + "-"
						+ record.offset());
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

	private static String describe(ConsumerRecord<?, ?> record) {
		return "record " + record.topic() + "-" + record.partition() + "@" + record.offset();
	}

	private record ActiveClaim(String topic, int partition, long offset, Claim claim, Duration retention) {

		boolean isFor(ConsumerRecord<?, ?> record) {
			return this.offset == record.offset() && this.partition == record.partition()
					&& this.topic.equals(record.topic());
		}

	}

}
