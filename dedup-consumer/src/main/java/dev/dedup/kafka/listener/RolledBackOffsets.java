package dev.dedup.kafka.listener;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;


/**
 * Puts back the committed offset of a record whose transaction failed to commit after its listener returned.
 * <p>
 * A container with a transaction manager that is not Kafka's (a JDBC one, say) acknowledges a record inside
 * the transaction's callback, before the commit; when the commit then fails (the database went away as it
 * committed) the after-rollback processor seeks the consumer back to the record, but its stale
 * acknowledgment is still committed at the start of the next poll (spring-kafka issue 2775). If the
 * partition then moves in a rebalance, or the consumer dies, before the record is redelivered, it is never
 * processed: the fault matrix lost such a record while the database was down. So after each rollback this
 * remembers, per consumer thread, the positions the consumer was sought back to, and commits them again once
 * the stale offsets have gone out: on the next record or batch, on the next rollback, and when the partitions
 * are revoked. Committing a position again is always safe: everything before it was processed.
 * <p>
 * Every method runs on the consumer thread, as the container calls its interceptors, its after-rollback
 * processor and its rebalance listener there.
 */
final class RolledBackOffsets {

	private static final Logger log = LoggerFactory.getLogger(RolledBackOffsets.class);

	private static final Duration COMMIT_TIMEOUT = Duration.ofSeconds(10);

	private static final ThreadLocal<Map<TopicPartition, OffsetAndMetadata>> SOUGHT_BACK = ThreadLocal
		.withInitial(HashMap::new);

	private RolledBackOffsets() {
	}

	/** After a rollback was handled: where the consumer now resumes each partition of the rolled-back records. */
	static void remember(Consumer<?, ?> consumer, Collection<? extends ConsumerRecord<?, ?>> records) {
		Set<TopicPartition> partitions = new LinkedHashSet<>();
		records.forEach(record -> partitions.add(new TopicPartition(record.topic(), record.partition())));
		Map<TopicPartition, OffsetAndMetadata> positions = SOUGHT_BACK.get();
		for (TopicPartition partition : partitions) {
			try {
				positions.put(partition, new OffsetAndMetadata(consumer.position(partition, COMMIT_TIMEOUT)));
			}
			catch (KafkaException | IllegalStateException ex) {
				log.debug("No position to remember for {} after a rollback: {}", partition, ex.getMessage());
			}
		}
	}

	/** Commits the positions remembered after the last rollback again (stale offsets went out since), and forgets them. */
	static void recommit(Consumer<?, ?> consumer) {
		Map<TopicPartition, OffsetAndMetadata> positions = SOUGHT_BACK.get();
		if (!positions.isEmpty()) {
			commit(consumer, Map.copyOf(positions));
			positions.clear();
		}
	}

	/** As {@link #recommit(Consumer)}, for the partitions being revoked only (after the container's own commit). */
	static void recommit(Consumer<?, ?> consumer, Collection<TopicPartition> revoked) {
		Map<TopicPartition, OffsetAndMetadata> positions = SOUGHT_BACK.get();
		Map<TopicPartition, OffsetAndMetadata> due = new HashMap<>();
		for (TopicPartition partition : revoked) {
			OffsetAndMetadata position = positions.remove(partition);
			if (position != null) {
				due.put(partition, position);
			}
		}
		if (!due.isEmpty()) {
			commit(consumer, due);
		}
	}

	/** Partitions lost (not revoked) are no longer ours to commit. */
	static void forget(Collection<TopicPartition> lost) {
		SOUGHT_BACK.get().keySet().removeAll(lost);
	}

	private static void commit(Consumer<?, ?> consumer, Map<TopicPartition, OffsetAndMetadata> positions) {
		try {
			CommitsAfterTransaction.commitNow(consumer, positions, COMMIT_TIMEOUT); // safe inside or outside a transaction
			log.info("Committed {} again: a transaction that failed to commit had its records' offsets committed "
					+ "by the container all the same, and they are redelivered from there", positions);
		}
		catch (KafkaException ex) {
			log.warn("Could not commit {} again after a transaction that failed to commit; if the partition moves "
					+ "before its records are redelivered, they are skipped: {}", positions, ex.getMessage());
		}
	}

}
