package dev.dedup.kafka.listener;

import java.util.Objects;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.jspecify.annotations.Nullable;
import org.springframework.kafka.listener.RecordInterceptor;
import org.springframework.kafka.support.KafkaUtils;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import dev.dedup.core.engine.DedupEngine;
import dev.dedup.core.key.DedupKeys;
import dev.dedup.kafka.poll.ConsumerDedup;
import dev.dedup.kafka.poll.DedupKafkaStats;
import dev.dedup.kafka.poll.ListenerSettingsResolver;
import dev.dedup.kafka.poll.PollDedup;
import dev.dedup.kafka.poll.Turn;
import dev.dedup.kafka.poll.RecordClaim;

/**
 * The record-listener adapter of {@link PollDedup}: claims each record's id before the listener runs, and
 * completes or releases the claim after it. RUN → the record; SKIP → null (the container skips and
 * acknowledges the record); WAIT → {@link DedupRetryLaterException}, which {@link DedupAwareErrorHandler}
 * turns into a budget-free redelivery.
 *
 * <p>spring-kafka calls {@code success()} also for records that {@code intercept()} skipped, and calls
 * {@code intercept()} again for every redelivery. So only the claim acquired for the record at hand is
 * completed or released: a skipped record completes nothing, and {@code failure()} for a record this
 * consumer did not acquire releases nothing.
 *
 * <p>When the store writes the claim in the listener's own transaction (the JDBC store, with a container
 * whose transaction manager runs on the store's DataSource), the record is marked CONSUMED inside that
 * transaction, just before it commits: the mark and the listener's database writes commit or roll back
 * together. Otherwise, in a transaction the mark waits until after the commit.
 *
 * <p><b>Poll batching</b> (on by default, outside transactions): when {@link PollCapturingInterceptor} shows
 * the consumer thread its poll, the poll is claimed in one store call with its first record, and marks are
 * written in the background, many per store call; the container's commit of the poll's offsets waits for
 * them ({@link CommitsAfterMarks}), or, where the consumer factory takes no post-processors,
 * {@link #clearThreadState} does. For containers that commit inside a poll (AckMode RECORD, COUNT,
 * TIME, COUNT_TIME, MANUAL_IMMEDIATE) {@link #markingEachRecord()} marks each record before the next one
 * runs instead. Turn it off with {@code dedup.kafka.batch-polls=false}.
 */
public class DedupRecordInterceptor<K, V> implements RecordInterceptor<K, V>, AutoCloseable {

	private final ConsumerDedup dedup;


	/** An interceptor that batches polls where it can. */
	public DedupRecordInterceptor(DedupEngine engine, DedupKeys keys, ListenerSettingsResolver settings,
			DedupKafkaStats stats) {
		this(engine, keys, settings, stats, true);
	}

	/**
	 * @param batchPolls whether to claim a poll's records in one store call and mark them in batches, where
	 * {@link PollCapturingInterceptor} is installed and no transaction is active (see the class comment)
	 */
	public DedupRecordInterceptor(DedupEngine engine, DedupKeys keys, ListenerSettingsResolver settings,
			DedupKafkaStats stats, boolean batchPolls) {
		this(new ConsumerDedup(engine, keys, settings, stats, batchPolls));
	}

	public DedupRecordInterceptor(ConsumerDedup dedup) {
		this.dedup = Objects.requireNonNull(dedup, "dedup");
	}

	/**
	 * This interceptor for a container whose AckMode commits offsets inside a poll: it tells each of its
	 * consumer threads to write every record's mark before the container moves on, instead of in the
	 * background until the end of the poll.
	 */
	public RecordInterceptor<K, V> markingEachRecord() {
		return new MarkingEachRecord<>(this);
	}

	public ConsumerDedup dedup() {
		return this.dedup;
	}

	public DedupKafkaStats stats() {
		return this.dedup.stats();
	}

	/** Whether this interceptor claims whole polls where {@link PollCapturingInterceptor} is installed. */
	public boolean batchesPolls() {
		return this.dedup.batchesPolls();
	}

	@Override
	public void setupThreadState(Consumer<?, ?> consumer) {
		if (batchesPolls()) {
			PollCapturingInterceptor.expectPoll();
		}
	}

	@Override
	public @Nullable ConsumerRecord<K, V> intercept(ConsumerRecord<K, V> record, Consumer<K, V> consumer) {
		RolledBackOffsets.recommit(consumer);
		// In a transaction each record's claim belongs to its own transaction: no claims ahead.
		ConsumerRecords<?, ?> poll = batchesPolls() && !TransactionSynchronizationManager.isSynchronizationActive()
				? PollCapturingInterceptor.lastPoll() : null;
		Turn turn = poll().claimRecord(record, KafkaUtils.getConsumerGroupId(), poll);
		return switch (turn.kind()) {
			case RUN -> record;
			case SKIP -> null;
			case WAIT -> throw new DedupRetryLaterException(turn.reason(), turn.retryAfter(), turn.cause());
			case REJECT -> throw Objects.requireNonNull(turn.cause());
		};
	}

	@Override
	public void success(ConsumerRecord<K, V> record, Consumer<K, V> consumer) {
		RecordClaim claim = poll().takeClaim(record);
		if (claim == null) {
			return; // skipped, bypassed or never claimed here: nothing to complete
		}
		if (!TransactionSynchronizationManager.isSynchronizationActive()) {
			claim.complete(!poll().marksEachRecord());
		}
		else if (claim.joinsTransaction()) {
			completeWithinTransaction(claim);
		}
		else {
			// In a transactional container the record is done only when the transaction commits: marking it
			// earlier would turn a failed commit (output and offsets rolled back) into a skipped redelivery.
			TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {

				@Override
				public void afterCompletion(int status) {
					if (status == STATUS_COMMITTED) {
						claim.complete(false);
					}
					else {
						claim.release();
					}
				}

			});
		}
	}

	/**
	 * The claim row was written in the listener's own transaction (a JDBC store on the transaction's
	 * DataSource): mark it CONSUMED in that transaction, just before it commits, so the mark and the
	 * listener's writes commit together or not at all. A failure to mark throws from beforeCommit, which
	 * rolls the transaction back (success() itself may not throw: the container only logs it), and a
	 * rollback takes the claim row with it.
	 */
	private static void completeWithinTransaction(RecordClaim claim) {
		TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {

			@Override
			public void beforeCommit(boolean readOnly) {
				claim.completeInTransaction();
			}

			@Override
			public void afterCompletion(int status) {
				if (status == STATUS_COMMITTED) {
					claim.committed();
				}
				else {
					claim.rolledBack();
				}
			}

		});
	}

	@Override
	public void failure(ConsumerRecord<K, V> record, Exception exception, Consumer<K, V> consumer) {
		poll().recordFailed(record);
	}

	@Override
	public void afterRecord(ConsumerRecord<K, V> record, Consumer<K, V> consumer) {
		RecordClaim claim = poll().takeClaim(record);
		if (claim != null) {
			claim.release(); // neither success nor failure was reported: let a redelivery claim it
		}
	}

	/**
	 * The end of a poll's processing, before the container commits its offsets: release the claims made ahead
	 * for records that never came up, and send the marks written in the background (see
	 * {@link PollDedup#endPoll()}).
	 */
	@Override
	public void clearThreadState(Consumer<?, ?> consumer) {
		poll().endPoll();
		if (batchesPolls()) {
			PollCapturingInterceptor.forget();
		}
	}

	/** Stops the completion threads, after they have marked what they were handed. */
	@Override
	public void close() {
		this.dedup.close();
	}

	private PollDedup poll() {
		return this.dedup.forCurrentThread();
	}

	/** Delegates every call; before each poll it tells the consumer thread to mark each record at once. */
	private static final class MarkingEachRecord<K, V> implements RecordInterceptor<K, V> {

		private final DedupRecordInterceptor<K, V> delegate;

		MarkingEachRecord(DedupRecordInterceptor<K, V> delegate) {
			this.delegate = delegate;
		}

		@Override
		public void setupThreadState(Consumer<?, ?> consumer) {
			this.delegate.poll().marksEachRecord(true);
			this.delegate.setupThreadState(consumer);
		}

		@Override
		public @Nullable ConsumerRecord<K, V> intercept(ConsumerRecord<K, V> record, Consumer<K, V> consumer) {
			return this.delegate.intercept(record, consumer);
		}

		@Override
		public void success(ConsumerRecord<K, V> record, Consumer<K, V> consumer) {
			this.delegate.success(record, consumer);
		}

		@Override
		public void failure(ConsumerRecord<K, V> record, Exception exception, Consumer<K, V> consumer) {
			this.delegate.failure(record, exception, consumer);
		}

		@Override
		public void afterRecord(ConsumerRecord<K, V> record, Consumer<K, V> consumer) {
			this.delegate.afterRecord(record, consumer);
		}

		@Override
		public void clearThreadState(Consumer<?, ?> consumer) {
			this.delegate.clearThreadState(consumer);
		}

	}

}
