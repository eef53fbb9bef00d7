package dev.dedup.kafka.poll;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/** Where a record sits in its topic: the one comparison of records by topic, partition and offset. */
final class RecordPositions {

	private RecordPositions() {
	}

	/** Whether the two are the same record of the same topic; compared field by field, with no allocation. */
	static boolean same(ConsumerRecord<?, ?> one, ConsumerRecord<?, ?> other) {
		return one == other || (one.offset() == other.offset() && one.partition() == other.partition()
				&& one.topic().equals(other.topic()));
	}

}
