package dev.dedup.kafka.poll;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.jspecify.annotations.Nullable;

import dev.dedup.core.engine.DedupEngine;
import dev.dedup.core.engine.DedupEngineConfig;
import dev.dedup.core.engine.StoreFailurePolicy;
import dev.dedup.core.key.DedupKeys;
import dev.dedup.core.key.KafkaKeyLayout;
import dev.dedup.core.store.DedupStore;
import dev.dedup.kafka.id.HeaderMessageIdResolver;
import dev.dedup.kafka.id.MessageIdResolver;

/**
 * Dedup for a hand-written {@code consumer.poll()} loop, with no Spring at run time:
 *
 * <pre>{@code
 * try (DedupPollLoop dedup = DedupPollLoop.builder(store, "orders").build()) {
 *     while (running) {
 *         ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(500));
 *         dedup.process(consumer, records, record -> charge(record.value()));
 *         consumer.commitSync();  // the consumer's position is safe to commit once process returns
 *     }
 * }
 * }</pre>
 *
 * {@link #process} claims the poll in one store call, runs the handler for each record whose id is new, and
 * marks the records it ran CONSUMED in one store call before it returns. A record held by another consumer
 * (under {@code InProgressPolicy.RETRY}) or met while the store is down (fail-closed) stops its partition
 * there: the consumer is sought back to it and the partition is paused until the wait is over, so the next
 * polls redeliver it without the loop doing anything. A handler that throws stops the poll: the records
 * it ran are marked, the consumer is sought back to the failed record (and to the first unprocessed record
 * of every other partition), and the exception is rethrown — so after {@code process} returns or throws,
 * the consumer's position never covers a record that still has to run, and committing it
 * ({@code commitSync()}, {@code commitAsync()} or auto-commit) is always safe.
 *
 * <p>One instance per consumer; like {@code KafkaConsumer}, not for use by several threads at once.
 */
public final class DedupPollLoop implements AutoCloseable {

	private final ConsumerDedup dedup;

	private final @Nullable String group;

	private final boolean ownsEngine;

	/** Partitions this loop paused for a wait, and when each may resume (System.nanoTime()). */
	private final Map<TopicPartition, Long> paused = new HashMap<>();

	private DedupPollLoop(ConsumerDedup dedup, @Nullable String group, boolean ownsEngine) {
		this.dedup = dedup;
		this.group = group;
		this.ownsEngine = ownsEngine;
	}

	/**
	 * @param store where claims are kept (a {@code RedisDedupStore}, a {@code JdbcDedupStore}, …)
	 * @param group the consumer group: ids are deduplicated per group
	 */
	public static Builder builder(DedupStore store, @Nullable String group) {
		return new Builder(store, group);
	}

	public DedupKafkaStats stats() {
		return this.dedup.stats();
	}

	/**
	 * Runs {@code handler} for every record of {@code records} whose id is new, in order, and marks them.
	 * @throws HandlerFailedException if the handler threw (its cause); the records before it are marked and
	 * the consumer is sought back to the failed record
	 * @throws dev.dedup.core.key.InvalidMessageIdException or {@link dev.dedup.core.store.ForeignEntryException}
	 * (wrapped in {@link HandlerFailedException} too) for a record that cannot be deduplicated under the
	 * missing-id policy {@code REJECT}; seek past it to skip it
	 */
	public <K, V> void process(Consumer<K, V> consumer, ConsumerRecords<K, V> records,
			RecordHandler<K, V> handler) {
		resumeDue(consumer);
		if (records.isEmpty()) {
			return;
		}
		List<ConsumerRecord<K, V>> list = new ArrayList<>(records.count());
		records.forEach(list::add);
		ClaimedBatch<K, V> batch = this.dedup.forCurrentThread().claimPartitions(this.group, list);
		Set<TopicPartition> stopped = new HashSet<>();
		boolean[] ran = new boolean[batch.size()];
		int i = 0;
		try {
			for (; i < batch.size(); i++) {
				ConsumerRecord<K, V> record = batch.record(i);
				TopicPartition partition = new TopicPartition(record.topic(), record.partition());
				if (stopped.contains(partition)) {
					continue;
				}
				Turn turn = batch.turn(i);
				switch (turn.kind()) {
					case RUN -> {
						runHandler(handler, record);
						ran[i] = true;
					}
					case SKIP -> { }
					case WAIT -> {
						stopped.add(partition);
						waitFor(consumer, partition, record.offset(), turn.retryAfter());
					}
					case REJECT -> throw new HandlerFailedException(record, Objects.requireNonNull(turn.cause()));
				}
			}
		}
		catch (HandlerFailedException ex) {
			batch.settle(index -> ran[index]);
			seekBackFrom(consumer, batch, i, stopped);
			throw ex;
		}
		batch.settle(index -> ran[index]);
	}

	private static <K, V> void runHandler(RecordHandler<K, V> handler, ConsumerRecord<K, V> record) {
		try {
			handler.handle(record);
		}
		catch (Exception ex) {
			throw new HandlerFailedException(record, ex);
		}
	}

	/** After a failure at {@code failedIndex}: every partition goes back to its first record not yet processed. */
	private static <K, V> void seekBackFrom(Consumer<K, V> consumer, ClaimedBatch<K, V> batch, int failedIndex,
			Set<TopicPartition> stopped) {
		Set<TopicPartition> sought = new HashSet<>(stopped);
		for (int i = failedIndex; i < batch.size(); i++) {
			ConsumerRecord<K, V> record = batch.record(i);
			TopicPartition partition = new TopicPartition(record.topic(), record.partition());
			if (sought.add(partition)) {
				consumer.seek(partition, record.offset());
			}
		}
	}

	private void waitFor(Consumer<?, ?> consumer, TopicPartition partition, long offset, Duration wait) {
		consumer.seek(partition, offset);
		consumer.pause(List.of(partition));
		this.paused.put(partition, System.nanoTime() + wait.toNanos());
	}

	private void resumeDue(Consumer<?, ?> consumer) {
		if (this.paused.isEmpty()) {
			return;
		}
		long now = System.nanoTime();
		Set<TopicPartition> assigned = consumer.assignment();
		List<TopicPartition> due = new ArrayList<>();
		this.paused.entrySet().removeIf(entry -> {
			boolean gone = !assigned.contains(entry.getKey());
			if (!gone && now - entry.getValue() >= 0) {
				due.add(entry.getKey());
			}
			return gone || now - entry.getValue() >= 0;
		});
		if (!due.isEmpty()) {
			consumer.resume(due);
		}
	}

	@Override
	public void close() {
		this.dedup.close();
		if (this.ownsEngine) {
			this.dedup.engine().close();
		}
	}

	/** The work for one record; any exception stops the poll (see {@link #process}). */
	@FunctionalInterface
	public interface RecordHandler<K, V> {

		void handle(ConsumerRecord<K, V> record) throws Exception;

	}

	/** The handler failed for {@link #record()} (the cause); the consumer was sought back to it. */
	public static final class HandlerFailedException extends RuntimeException {

		private final transient ConsumerRecord<?, ?> record;

		HandlerFailedException(ConsumerRecord<?, ?> record, Throwable cause) {
			super("Handling " + RecordKeys.describe(record) + " failed: " + cause.getMessage(), cause);
			this.record = record;
		}

		public ConsumerRecord<?, ?> record() {
			return this.record;
		}

	}

	/** Settings of a {@link DedupPollLoop}; the defaults match the Boot properties' defaults. */
	public static final class Builder {

		private final DedupStore store;

		private final @Nullable String group;

		private @Nullable DedupEngine engine;

		private MessageIdResolver idResolver = new HeaderMessageIdResolver("dedup-id");

		private MissingIdPolicy missingId = MissingIdPolicy.OFFSET;

		private Duration lease = Duration.ofSeconds(30);

		private Duration retention = Duration.ofDays(7);

		private InProgressPolicy onInProgress = InProgressPolicy.RETRY;

		private DedupEngineConfig engineConfig = DedupEngineConfig.ofDefaults();

		private String keyPrefix = "dedup";

		private KafkaKeyLayout keyLayout = KafkaKeyLayout.KINDED;

		private Builder(DedupStore store, @Nullable String group) {
			this.store = Objects.requireNonNull(store, "store");
			this.group = group;
		}

		/** Share an engine (and its store) with other users; it is not closed with the loop. */
		public Builder engine(DedupEngine engine) {
			this.engine = engine;
			return this;
		}

		public Builder idResolver(MessageIdResolver idResolver) {
			this.idResolver = idResolver;
			return this;
		}

		public Builder missingId(MissingIdPolicy missingId) {
			this.missingId = missingId;
			return this;
		}

		public Builder lease(Duration lease) {
			this.lease = lease;
			return this;
		}

		public Builder retention(Duration retention) {
			this.retention = retention;
			return this;
		}

		public Builder onInProgress(InProgressPolicy onInProgress) {
			this.onInProgress = onInProgress;
			return this;
		}

		/** The store-failure policy of the loop's own engine (see {@link #engineConfig}). */
		public Builder storeFailure(StoreFailurePolicy storeFailure) {
			this.engineConfig = DedupEngineConfig.from(this.engineConfig).storeFailurePolicy(storeFailure).build();
			return this;
		}

		/** The configuration of the loop's own engine; not used with a shared {@link #engine}. */
		public Builder engineConfig(DedupEngineConfig engineConfig) {
			this.engineConfig = Objects.requireNonNull(engineConfig, "engineConfig");
			return this;
		}

		public Builder keyPrefix(String keyPrefix) {
			this.keyPrefix = keyPrefix;
			return this;
		}

		/** {@code dedup.kafka.key-layout} of a hand-written loop: {@link KafkaKeyLayout#LEGACY} reads old keys. */
		public Builder keyLayout(KafkaKeyLayout keyLayout) {
			this.keyLayout = Objects.requireNonNull(keyLayout, "keyLayout");
			return this;
		}

		public DedupPollLoop build() {
			ListenerDedupSettings settings = new ListenerDedupSettings(this.idResolver, this.missingId, this.lease,
					this.retention, this.onInProgress);
			boolean ownsEngine = this.engine == null;
			DedupEngine engine = ownsEngine ? new DedupEngine(this.store, this.engineConfig) : this.engine;
			ConsumerDedup dedup = new ConsumerDedup(engine,
					new DedupKeys(this.keyPrefix, this.store.maxKeyLength(), this.keyLayout),
					ListenerSettingsResolver.fixed(settings), new DedupKafkaStats(), false);
			return new DedupPollLoop(dedup, this.group, ownsEngine);
		}

	}

}
