package dev.dedup.kafka.listener;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.jspecify.annotations.Nullable;
import org.springframework.kafka.listener.BatchInterceptor;
import org.springframework.kafka.listener.BatchListenerFailedException;
import org.springframework.kafka.support.KafkaUtils;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import dev.dedup.kafka.poll.ClaimedBatch;
import dev.dedup.kafka.poll.ConsumerDedup;
import dev.dedup.kafka.poll.PollDedup;
import dev.dedup.kafka.poll.Turn;

/**
 * The batch-listener adapter of {@link PollDedup}: claims a poll's records in one store call and hands the
 * listener only the records that run. Duplicates (CONSUMED, or repeating an earlier record of the batch) are
 * left out; a batch with nothing to run does not call the listener, and the container acknowledges it.
 * After the listener, before the container commits the batch's offsets, the records it ran are marked
 * CONSUMED in one store call; a {@link BatchListenerFailedException} marks those before the failed record
 * and releases the rest; any other exception releases every claim.
 *
 * <p>A record that must wait (held by another consumer under {@code on-in-progress=retry}, or the store is
 * down under fail-closed) or is rejected stops the batch there: see {@link DedupBatchStopException} and
 * {@link DedupAwareErrorHandler}. The listener sees the records before it first, then the rest is
 * redelivered. In a transaction the whole batch waits (or fails) instead, since the transaction covers it.
 *
 * <p>In a transaction whose claims the store wrote in the listener's transaction (the JDBC store on the
 * transaction's DataSource), the marks are written in that transaction, in one statement, just before it
 * commits; in another transaction (Kafka's), after it commits.
 */
public class DedupBatchInterceptor<K, V> implements BatchInterceptor<K, V> {

	private final ConsumerDedup dedup;

	public DedupBatchInterceptor(ConsumerDedup dedup) {
		this.dedup = Objects.requireNonNull(dedup, "dedup");
	}

	@Override
	@SuppressWarnings("unchecked")
	public @Nullable ConsumerRecords<K, V> intercept(ConsumerRecords<K, V> records, Consumer<K, V> consumer) {
		RolledBackOffsets.recommit(consumer);
		PollDedup poll = this.dedup.forCurrentThread();
		ClaimedBatch<K, V> stopped = (ClaimedBatch<K, V>) poll.batches().takeStopped(records);
		if (stopped != null) {
			return run(poll, stopped, records); // the error handler re-invokes the listener with what ran before the stop
		}
		List<ConsumerRecord<K, V>> list = new ArrayList<>(records.count());
		records.forEach(list::add);
		ClaimedBatch<K, V> batch = poll.claimBatch(KafkaUtils.getConsumerGroupId(), list);
		int stop = batch.firstStop();
		if (stop == batch.size()) {
			return run(poll, batch, records);
		}
		Turn turn = batch.turn(stop);
		if (stop > 0 && !TransactionSynchronizationManager.isSynchronizationActive()) {
			poll.batches().stopped(records, batch);
			throw new DedupBatchStopException(stop, batch.record(stop), turn);
		}
		batch.settle(0);
		if (turn.kind() == Turn.Kind.WAIT) {
			throw new DedupRetryLaterException(turn.reason() + " (the batch waits with it)",
					Turn.jittered(turn.retryAfter()), turn.cause());
		}
		// The first record, or inside a transaction: the error handler sees the record itself fail.
		throw new BatchListenerFailedException(Objects.requireNonNull(turn.reason()), turn.cause(), batch.record(stop));
	}

	/** The batch's records that run, as a poll result: {@code records} itself when all of them run. */
	private @Nullable ConsumerRecords<K, V> run(PollDedup poll, ClaimedBatch<K, V> batch,
			ConsumerRecords<K, V> records) {
		List<ConsumerRecord<K, V>> run = batch.toRun(batch.firstStop());
		if (run.isEmpty()) {
			batch.settle(0);
			return null; // all duplicates: the container acknowledges the batch without calling the listener
		}
		poll.batches().running(batch);
		// toRun keeps the batch's order and drops the rest: as many records means the same ones.
		return run.size() == records.count() ? records : recordsOf(run);
	}

	/** The records as a poll result, in their order. */
	static <K, V> ConsumerRecords<K, V> recordsOf(List<ConsumerRecord<K, V>> records) {
		Map<TopicPartition, List<ConsumerRecord<K, V>>> byPartition = new LinkedHashMap<>();
		List<ConsumerRecord<K, V>> partition = null;
		ConsumerRecord<K, V> previous = null;
		for (ConsumerRecord<K, V> record : records) {
			// A poll's records come partition by partition: look the partition up only when it changes.
			if (previous == null || previous.partition() != record.partition()
					|| !previous.topic().equals(record.topic())) {
				partition = byPartition.computeIfAbsent(new TopicPartition(record.topic(), record.partition()),
						tp -> new ArrayList<>());
			}
			partition.add(record);
			previous = record;
		}
		return new ConsumerRecords<>(byPartition, Map.of());
	}

	@Override
	public void success(ConsumerRecords<K, V> records, Consumer<K, V> consumer) {
		ClaimedBatch<?, ?> batch = this.dedup.forCurrentThread().batches().takeRunning();
		if (batch == null) {
			return;
		}
		int done = batch.firstStop();
		if (!TransactionSynchronizationManager.isSynchronizationActive()) {
			batch.settleAfterSuccess(done);
			return;
		}
		boolean joined = batch.joinsTransaction();
		TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {

			/** Marks in the listener's transaction: a failure here rolls it back (success() may not throw). */
			@Override
			public void beforeCommit(boolean readOnly) {
				if (joined) {
					batch.settle(done);
				}
			}

			@Override
			public void afterCompletion(int status) {
				if (joined) {
					if (status == STATUS_COMMITTED) {
						batch.committed();
					}
					else {
						batch.rolledBack();
					}
				}
				else {
					batch.settle(status == STATUS_COMMITTED ? done : 0);
				}
			}

		});
	}

	@Override
	public void failure(ConsumerRecords<K, V> records, Exception exception, Consumer<K, V> consumer) {
		ClaimedBatch<?, ?> batch = this.dedup.forCurrentThread().batches().takeRunning();
		if (batch == null) {
			return;
		}
		if (TransactionSynchronizationManager.isSynchronizationActive() && batch.joinsTransaction()) {
			batch.rolledBack(); // the transaction rolls back, and the claim rows with it
			return;
		}
		ConsumerRecord<?, ?> failed = failedRecord(exception, records);
		boolean inTransaction = TransactionSynchronizationManager.isSynchronizationActive();
		int index = failed == null || inTransaction ? -1 : batch.indexOf(failed);
		batch.settle(Math.max(index, 0));
		FailedBatchRecord.remember(failed);
	}

	/** The record a {@link BatchListenerFailedException} names, by record or by index into what the listener got. */
	static @Nullable ConsumerRecord<?, ?> failedRecord(Throwable exception, ConsumerRecords<?, ?> delivered) {
		for (Throwable cause = exception; cause != null; cause = cause.getCause()) {
			if (cause instanceof BatchListenerFailedException failed) {
				if (failed.getRecord() != null) {
					return failed.getRecord();
				}
				int i = 0;
				for (ConsumerRecord<?, ?> record : delivered) {
					if (i++ == failed.getIndex()) {
						return record;
					}
				}
				return null;
			}
		}
		return null;
	}

	@Override
	public void clearThreadState(Consumer<?, ?> consumer) {
		PollDedup poll = this.dedup.forCurrentThread();
		poll.batches().endPoll();
		poll.endPoll(); // sends (or, where commits do not wait for them, awaits) the marks of the batch
		FailedBatchRecord.forget();
	}

}
