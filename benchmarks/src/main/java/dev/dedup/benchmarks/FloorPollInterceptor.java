package dev.dedup.benchmarks;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.consumer.ConsumerInterceptor;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.jspecify.annotations.Nullable;

/**
 * The {@code floor-redis} variant for a record listener: the two writes the semantics need, at the cheapest
 * this machine offers, placed where dedup places them. The poll's claims go out in one script call on the
 * consumer thread as the poll returns (as dedup's poll batching claims a poll ahead), the record listener
 * runs the records that were claimed, and the poll's marks go out in one script call after its last record
 * (awaited, as dedup waits for a poll's marks before its offsets are committed; {@code floor-redis-unawaited}
 * only sends them). No reads, no owners, no renewals.
 * Kafka creates this interceptor ({@code interceptor.classes}); it reaches the application's Redis through
 * {@link ThroughputApplication.CountingListener#floorWriter()}.
 */
public final class FloorPollInterceptor implements ConsumerInterceptor<String, String> {

	/** The poll the consumer thread's records come from: what was claimed, and how many are still to run. */
	private static final ThreadLocal<@Nullable FloorPoll> POLL = new ThreadLocal<>();

	@Override
	public ConsumerRecords<String, String> onConsume(ConsumerRecords<String, String> records) {
		if (records.isEmpty()) {
			return records;
		}
		ThroughputApplication.FloorWriter writer = ThroughputApplication.CountingListener.floorWriter();
		byte[][] keys = new byte[records.count()][];
		int i = 0;
		for (ConsumerRecord<String, String> record : records) {
			keys[i++] = writer.key(record.value());
		}
		boolean[] claimed = writer.claim(keys);
		Set<String> run = new HashSet<>();
		for (int k = 0; k < keys.length; k++) {
			if (claimed[k]) {
				run.add(new String(keys[k], StandardCharsets.UTF_8));
			}
		}
		POLL.set(new FloorPoll(keys, run, records.count()));
		return records;
	}

	/**
	 * Called by the record listener for each record: whether to run it; after the poll's last record, its
	 * marks are written.
	 */
	static boolean claimed(ThroughputApplication.FloorWriter writer, String payload) {
		FloorPoll poll = POLL.get();
		if (poll == null) {
			throw new IllegalStateException("floor-redis: a record arrived without its poll's claims");
		}
		boolean run = poll.claimed.contains(new String(writer.key(payload), StandardCharsets.UTF_8));
		if (--poll.remaining == 0) {
			POLL.remove();
			writer.mark(poll.keys);
		}
		return run;
	}

	@Override
	public void onCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {
	}

	@Override
	public void close() {
	}

	@Override
	public void configure(Map<String, ?> configs) {
	}

	private static final class FloorPoll {

		final byte[][] keys;

		final Set<String> claimed;

		int remaining;

		FloorPoll(byte[][] keys, Set<String> claimed, int remaining) {
			this.keys = keys;
			this.claimed = claimed;
			this.remaining = remaining;
		}

	}

}
