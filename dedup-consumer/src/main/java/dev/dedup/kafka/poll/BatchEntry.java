package dev.dedup.kafka.poll;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jspecify.annotations.Nullable;

import dev.dedup.core.engine.Claim;

/** One record of a {@link ClaimedBatch}: its key, claim and turn, as {@link BatchClaiming} found them. */
final class BatchEntry<K, V> {

	final ConsumerRecord<K, V> record;

	final ListenerDedupSettings listener;

	@Nullable String key;

	boolean repeat;

	/** Whether an earlier record of its batch (or partition) must wait or is rejected. */
	boolean afterStop;

	@Nullable Claim claim;

	@Nullable Turn turn;

	BatchEntry(ConsumerRecord<K, V> record, ListenerDedupSettings listener) {
		this.record = record;
		this.listener = listener;
	}

}
