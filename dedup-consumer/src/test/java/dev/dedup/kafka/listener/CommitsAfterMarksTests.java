package dev.dedup.kafka.listener;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.dedup.core.engine.DedupEngine;
import dev.dedup.core.key.DedupKeys;
import dev.dedup.core.store.DedupStoreException;
import dev.dedup.core.store.ForwardingDedupStore;
import dev.dedup.core.store.InMemoryDedupStore;
import dev.dedup.core.store.StoreOperation;
import dev.dedup.core.store.StoredEntry;
import dev.dedup.kafka.id.HeaderMessageIdResolver;
import dev.dedup.kafka.poll.ConsumerDedup;
import dev.dedup.kafka.poll.DedupKafkaStats;
import dev.dedup.kafka.poll.InProgressPolicy;
import dev.dedup.kafka.poll.ListenerDedupSettings;
import dev.dedup.kafka.poll.ListenerSettingsResolver;
import dev.dedup.kafka.poll.MissingIdPolicy;
import dev.dedup.kafka.poll.PollDedup;
import dev.dedup.kafka.poll.RecordClaim;
import dev.dedup.kafka.poll.Turn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.BDDMockito.given;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;

/**
 * {@link CommitsAfterMarks} on a mocked consumer, driven as the container drives it on one consumer thread
 * (this test's): no offset reaches the consumer before the marks handed over before it are written, a held
 * commit goes out with the next one or with an idle poll, and a revocation or a close waits for the marks
 * and commits what is held. The marks' store calls wait at a gate, as on a slow store.
 */
@Timeout(30) // a consumer thread that waits for gated marks would otherwise hang here
class CommitsAfterMarksTests {

	private static final TopicPartition TP0 = new TopicPartition("orders", 0);

	private static final TopicPartition TP1 = new TopicPartition("orders", 1);

	private final InMemoryDedupStore memory = new InMemoryDedupStore();

	private final GatedMarks store = new GatedMarks(this.memory);

	private final DedupEngine engine = new DedupEngine(this.store);

	private final DedupKafkaStats stats = new DedupKafkaStats();

	private final ConsumerDedup dedup = new ConsumerDedup(this.engine, new DedupKeys("dedup", this.store.maxKeyLength()),
			ListenerSettingsResolver.fixed(new ListenerDedupSettings(new HeaderMessageIdResolver("dedup-id"),
					MissingIdPolicy.OFFSET, Duration.ofSeconds(30), Duration.ofDays(1), InProgressPolicy.RETRY)),
			this.stats, true);

	@SuppressWarnings("unchecked")
	private final Consumer<String, String> target = mock(Consumer.class);

	private final Consumer<String, String> consumer = new CommitsAfterMarks<String, String>(this.dedup).apply(this.target);

	private final PollDedup poll = this.dedup.forCurrentThread();

	@AfterEach
	void stop() {
		this.store.open();
		this.dedup.close();
		this.engine.close();
	}

	@Test
	void aPollsCommitWaitsForItsMarksAndGoesOutWithTheNextCommit() {
		this.store.close();
		ConsumerRecords<String, String> first = records(TP0, 0, 3);
		runPoll(first);
		this.consumer.commitSync(Map.of(TP0, new OffsetAndMetadata(3)), Duration.ofSeconds(5));
		verify(this.target, never()).commitSync(any(Map.class), any(Duration.class));

		ConsumerRecords<String, String> second = records(TP0, 3, 2);
		runPoll(second);
		this.store.open();
		long handedOver = this.poll.marksHandedOver();
		await().atMost(Duration.ofSeconds(5)).until(() -> this.poll.marksWrittenThrough(handedOver));
		this.consumer.commitSync(Map.of(TP0, new OffsetAndMetadata(5)), Duration.ofSeconds(5));

		verify(this.target).commitSync(eq(Map.of(TP0, new OffsetAndMetadata(5))), eq(Duration.ofSeconds(5)));
		assertConsumed(0, 5);
	}

	@Test
	void aHeldCommitGoesOutWithTheNextPollOnceItsMarksAreWrittenAndTheNextCommitWaitsForItsOwn() {
		this.store.close();
		runPoll(records(TP0, 0, 3));
		this.consumer.commitSync(Map.of(TP0, new OffsetAndMetadata(3)), Duration.ofSeconds(5));
		this.store.open();
		long firstMarks = this.poll.marksHandedOver();
		await().atMost(Duration.ofSeconds(5)).until(() -> this.poll.marksWrittenThrough(firstMarks));
		this.store.close();

		runPoll(records(TP0, 3, 2));
		this.consumer.commitSync(Map.of(TP0, new OffsetAndMetadata(5)), Duration.ofSeconds(5));

		verify(this.target).commitAsync(eq(Map.of(TP0, new OffsetAndMetadata(3))), any());
		verify(this.target, never()).commitSync(any(Map.class), any(Duration.class));
		assertConsumed(0, 3);
		this.store.open();
		long secondMarks = this.poll.marksHandedOver();
		await().atMost(Duration.ofSeconds(5)).until(() -> this.poll.marksWrittenThrough(secondMarks));
		given(this.target.poll(any(Duration.class))).willReturn(ConsumerRecords.empty());
		this.consumer.poll(Duration.ZERO);
		verify(this.target).commitAsync(eq(Map.of(TP0, new OffsetAndMetadata(5))), any());
	}

	/** The container waits for none of the earlier offsets while its own are held: they go in the background. */
	@Test
	void aHeldCommitWhoseMarksAreWrittenGoesInTheBackgroundWhenTheNextCommitIsHeldInstead() {
		this.store.close();
		runPoll(records(TP0, 0, 3));
		this.consumer.commitSync(Map.of(TP0, new OffsetAndMetadata(3)), Duration.ofSeconds(5));
		ConsumerRecords<String, String> second = records(TP0, 3, 2);
		given(this.target.poll(any(Duration.class))).willReturn(second);
		this.consumer.poll(Duration.ofMillis(100)); // the first poll's marks are not written yet
		this.store.open();
		long firstMarks = this.poll.marksHandedOver();
		await().atMost(Duration.ofSeconds(5)).until(() -> this.poll.marksWrittenThrough(firstMarks));
		this.store.close();
		handle(second);
		this.poll.endPoll();

		this.consumer.commitSync(Map.of(TP0, new OffsetAndMetadata(5)), Duration.ofSeconds(5));

		verify(this.target).commitAsync(eq(Map.of(TP0, new OffsetAndMetadata(3))), any());
		verify(this.target, never()).commitSync(any(Map.class), any(Duration.class));
		verify(this.target, never()).commitSync(any(Map.class));
	}

	@Test
	void aRevocationWaitsForTheMarksAndCommitsWhatIsHeld() throws Exception {
		this.store.close();
		runPoll(records(TP0, 0, 4));
		this.consumer.commitSync(Map.of(TP0, new OffsetAndMetadata(4)), Duration.ofSeconds(5));
		verify(this.target, never()).commitSync(any(Map.class), any(Duration.class));
		CompletableFuture.delayedExecutor(200, TimeUnit.MILLISECONDS).execute(this.store::open);

		CommitsAfterMarks.commitHeld(this.consumer);

		verify(this.target).commitSync(eq(Map.of(TP0, new OffsetAndMetadata(4))), any(Duration.class));
		assertConsumed(0, 4);
	}

	@Test
	void closeWaitsForTheMarksAndCommitsWhatIsHeldFirst() {
		this.store.close();
		runPoll(records(TP0, 0, 2));
		this.consumer.commitSync(Map.of(TP0, new OffsetAndMetadata(2)), Duration.ofSeconds(5));
		CompletableFuture.delayedExecutor(200, TimeUnit.MILLISECONDS).execute(this.store::open);

		this.consumer.close();

		verify(this.target).commitSync(eq(Map.of(TP0, new OffsetAndMetadata(2))), any(Duration.class));
		verify(this.target).close();
		assertConsumed(0, 2);
	}

	@Test
	void aLostPartitionsHeldOffsetsAreDroppedAndTheOthersStillGoOut() {
		this.store.close();
		runPoll(records(TP0, 0, 2));
		this.consumer.commitSync(Map.of(TP0, new OffsetAndMetadata(2), TP1, new OffsetAndMetadata(7)),
				Duration.ofSeconds(5));
		CommitsAfterMarks.forget(this.consumer, List.of(TP1));
		this.store.open();
		long handedOver = this.poll.marksHandedOver();
		await().atMost(Duration.ofSeconds(5)).until(() -> this.poll.marksWrittenThrough(handedOver));

		CommitsAfterMarks.commitHeld(this.consumer);

		verify(this.target).commitSync(eq(Map.of(TP0, new OffsetAndMetadata(2))), any(Duration.class));
	}

	@Test
	void aHeldCommitWhoseMarksAreWrittenGoesOutWithTheNextPollWhenNoCommitComes() {
		this.store.close();
		runPoll(records(TP0, 0, 3));
		this.consumer.commitSync(Map.of(TP0, new OffsetAndMetadata(3)), Duration.ofSeconds(5));
		given(this.target.poll(any(Duration.class))).willReturn(ConsumerRecords.empty());
		this.consumer.poll(Duration.ZERO); // the marks are not written yet: nothing to send
		verify(this.target, never()).commitAsync(any(Map.class), any());
		this.store.open();
		long handedOver = this.poll.marksHandedOver();
		await().atMost(Duration.ofSeconds(5)).until(() -> this.poll.marksWrittenThrough(handedOver));

		this.consumer.poll(Duration.ZERO); // an idle consumer: no container commit would carry them

		verify(this.target).commitAsync(eq(Map.of(TP0, new OffsetAndMetadata(3))), any());
		verify(this.target, never()).commitSync(any(Map.class), any(Duration.class));
		this.consumer.poll(Duration.ZERO);
		verify(this.target).commitAsync(any(Map.class), any()); // sent once
	}

	@Test
	void theMarksOfTheLastPollAreCountedByTheNextPollsEvenWhenNothingComes() {
		this.store.close(); // written only after the poll ended, so its end cannot have counted them
		runPoll(records(TP0, 0, 3));
		this.store.open();
		long handedOver = this.poll.marksHandedOver();
		await().atMost(Duration.ofSeconds(5)).until(() -> this.poll.marksWrittenThrough(handedOver));
		assertThat(this.stats.count(DedupKafkaStats.Event.COMPLETED)).as("before the next poll").isZero();
		given(this.target.poll(any(Duration.class))).willReturn(ConsumerRecords.empty());

		this.consumer.poll(Duration.ZERO);

		assertThat(this.stats.count(DedupKafkaStats.Event.COMPLETED)).isEqualTo(3);
	}

	@Test
	void withNoMarksInFlightTheContainersCommitGoesOutAsItWasAsked() {
		runPoll(records(TP0, 0, 2));
		long handedOver = this.poll.marksHandedOver();
		await().atMost(Duration.ofSeconds(5)).until(() -> this.poll.marksWrittenThrough(handedOver));

		this.consumer.commitSync(Map.of(TP0, new OffsetAndMetadata(2)), Duration.ofSeconds(5));

		verify(this.target).commitSync(eq(Map.of(TP0, new OffsetAndMetadata(2))), eq(Duration.ofSeconds(5)));
	}

	/** As the container runs a poll with a record listener: poll, claim, run and mark each record, end the poll. */
	private void runPoll(ConsumerRecords<String, String> records) {
		given(this.target.poll(any(Duration.class))).willReturn(records);
		handle(this.consumer.poll(Duration.ofMillis(100)));
		this.poll.endPoll();
	}

	/** As the record interceptor and listener handle a poll's records, each successfully. */
	private void handle(ConsumerRecords<String, String> polled) {
		for (ConsumerRecord<String, String> record : polled) {
			Turn turn = this.poll.claimRecord(record, "grp", polled);
			assertThat(turn.kind()).isEqualTo(Turn.Kind.RUN);
			RecordClaim claim = this.poll.takeClaim(record);
			assertThat(claim).isNotNull();
			claim.complete(true);
		}
	}

	private void assertConsumed(int from, int to) {
		for (int i = from; i < to; i++) {
			assertThat(this.memory.inspect("dedup:kafka:grp:id-" + i))
				.hasValueSatisfying(entry -> assertThat(entry.state()).isEqualTo(StoredEntry.State.CONSUMED));
		}
	}

	private static ConsumerRecords<String, String> records(TopicPartition partition, long from, int count) {
		List<ConsumerRecord<String, String>> records = new ArrayList<>();
		for (long offset = from; offset < from + count; offset++) {
			RecordHeaders headers = new RecordHeaders();
			headers.add(new RecordHeader("dedup-id", ("id-" + (partition.partition() * 100 + offset))
				.getBytes(StandardCharsets.UTF_8)));
			records.add(new ConsumerRecord<>(partition.topic(), partition.partition(), offset, 0L,
					TimestampType.CREATE_TIME, -1, -1, "k", "v", headers, java.util.Optional.empty()));
		}
		return new ConsumerRecords<>(Map.of(partition, records), Map.of());
	}

	/** Marks wait while the gate is closed, as on a slow store. */
	private static final class GatedMarks extends ForwardingDedupStore {

		private volatile CountDownLatch gate = new CountDownLatch(0);

		GatedMarks(InMemoryDedupStore delegate) {
			super(delegate);
		}

		void close() {
			this.gate = new CountDownLatch(1);
		}

		void open() {
			this.gate.countDown();
		}

		@Override
		protected <T> T around(StoreOperation operation, int keys, Supplier<T> step) {
			if (operation == StoreOperation.COMPLETE_ALL || operation == StoreOperation.COMPLETE_POLL) {
				try {
					this.gate.await();
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					throw new DedupStoreException("interrupted");
				}
			}
			return step.get();
		}

	}

}
