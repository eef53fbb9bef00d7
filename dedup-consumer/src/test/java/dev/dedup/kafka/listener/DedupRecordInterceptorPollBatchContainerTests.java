package dev.dedup.kafka.listener;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.BDDMockito.willAnswer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.mockito.stubbing.Answer;
import org.springframework.kafka.listener.ContainerProperties.AckMode;

import dev.dedup.core.store.ClaimOutcome;
import dev.dedup.core.store.StoredEntry;
import dev.dedup.kafka.poll.DedupKafkaStats;
import dev.dedup.kafka.poll.DedupKafkaStats.Event;

/**
 * Every scenario of {@link DedupRecordInterceptorContainerTests} again, with the consumer showing its polls
 * to {@link PollCapturingInterceptor}, so that the interceptor claims each poll in one store call and marks
 * records CONSUMED in the background; then the cases only batching has.
 */
class DedupRecordInterceptorPollBatchContainerTests extends DedupRecordInterceptorContainerTests {

	@Override
	boolean capturesPolls() {
		return true;
	}


	@Test
	void aPollOfNewRecordsIsClaimedInOneStoreCallAndEveryRecordRunsOnce() throws Exception {
		// BATCH commits at the end of the poll, so marks may be written in the background (not with RECORD).
		this.ackMode = AckMode.BATCH;
		List<String> ids = new ArrayList<>();
		for (int i = 0; i < 50; i++) {
			ids.add("bulk-" + i);
			append("bulk-" + i);
		}
		List<Object> heard = new CopyOnWriteArrayList<>();

		start(record -> heard.add(record.value()));

		await().atMost(Duration.ofSeconds(10)).until(() -> this.committed.contains(50L));
		awaitCompleted(50);
		assertThat(heard).hasSize(50).doesNotHaveDuplicates();
		assertThat(this.store.claimAllCalls).as("one poll, one claim call").hasValue(1);
		assertThat(this.store.completeAllCalls.get()).isBetween(1, 50);
		for (String id : ids) {
			assertThat(this.store.claims("dedup:kafka:grp:" + id)).as(id).isEqualTo(1);
			assertThat(claimAsOther("dedup:kafka:grp:" + id)).as(id).isEqualTo(ClaimOutcome.DUPLICATE);
		}
	}

	@Test
	void anIdRepeatedInsideOnePollRunsOnceAndItsRepeatIsSkippedAsADuplicate() throws Exception {
		append("twice");
		append("once");
		append("twice");
		List<Object> heard = new CopyOnWriteArrayList<>();

		start(record -> heard.add(record.value()));

		await().atMost(Duration.ofSeconds(10)).until(() -> this.committed.contains(3L));
		assertThat(heard).containsExactly("value-0", "value-1");
		assertThat(this.stats.count(Event.DUPLICATE)).isEqualTo(1);
		awaitCompleted(2);
	}

	@Test
	void aFailureMidPollReleasesTheClaimsMadeAheadAndTheRedeliveryRunsEveryRecordOnce() throws Exception {
		for (int i = 0; i < 5; i++) {
			append("mid-" + i);
		}
		List<Object> effects = new CopyOnWriteArrayList<>();
		List<Object> attempts = new CopyOnWriteArrayList<>();

		start(record -> {
			attempts.add(record.value());
			if (record.offset() == 2 && attempts.indexOf(record.value()) == attempts.size() - 1) {
				throw new IllegalStateException("first attempt at offset 2 fails");
			}
			effects.add(record.value());
		});

		await().atMost(Duration.ofSeconds(10)).until(() -> this.committed.contains(5L));
		assertThat(effects).containsExactly("value-0", "value-1", "value-2", "value-3", "value-4");
		assertThat(attempts).containsExactly("value-0", "value-1", "value-2", "value-2", "value-3", "value-4");
		assertThat(this.recovered).isEmpty();
		assertThat(this.store.claimAllCalls).as("the first poll, and the one after the seek").hasValue(2);
		awaitCompleted(5);
		for (int i = 0; i < 5; i++) {
			assertThat(claimAsOther("dedup:kafka:grp:mid-" + i)).isEqualTo(ClaimOutcome.DUPLICATE);
		}
	}

	@Test
	void everyRecordOfAPollIsMarkedConsumedBeforeThePollsOffsetsAreCommitted() throws Exception {
		for (int i = 0; i < 20; i++) {
			append("batch-ack-" + i);
		}
		Map<Long, List<Optional<StoredEntry>>> atCommit = new ConcurrentHashMap<>();
		willAnswer(invocation -> {
			Map<TopicPartition, OffsetAndMetadata> offsets = invocation.getArgument(0);
			long offset = offsets.values().iterator().next().offset();
			List<Optional<StoredEntry>> entries = new ArrayList<>();
			for (int i = 0; i < offset; i++) {
				entries.add(this.store.inspect("dedup:kafka:grp:batch-ack-" + i));
			}
			atCommit.put(offset, entries);
			this.committed.add(offset);
			return null;
		}).given(this.consumer).commitSync(any(), any(Duration.class));

		start(record -> {
		}, null, factory -> factory.getContainerProperties().setAckMode(AckMode.BATCH));

		await().atMost(Duration.ofSeconds(10)).until(() -> this.committed.contains(20L));
		assertThat(atCommit.get(20L)).hasSize(20)
			.allSatisfy(entry -> assertThat(entry).hasValueSatisfying(e -> assertThat(e.state()).isEqualTo(StoredEntry.State.CONSUMED)));
	}

	@Test
	void withCommitsHeldForTheirMarksTheNextPollRunsWhileTheMarksAreWrittenAndNoOffsetGoesOutBeforeItsMark()
			throws Exception {
		this.ackMode = AckMode.BATCH;
		this.holdsCommitsForMarks = true;
		CountDownLatch gate = new CountDownLatch(1);
		this.store.marksGate = gate; // the first poll's marks are still being written
		for (int i = 0; i < 10; i++) {
			append("held-" + i);
		}
		Map<Long, Boolean> allMarkedAtCommit = new ConcurrentHashMap<>();
		Answer<Object> recordCommit = invocation -> {
			Map<TopicPartition, OffsetAndMetadata> offsets = invocation.getArgument(0);
			long offset = offsets.values().iterator().next().offset();
			boolean allMarked = true;
			for (int i = 0; i < offset; i++) {
				allMarked &= this.store.inspect("dedup:kafka:grp:held-" + i)
					.map(entry -> entry.state() == StoredEntry.State.CONSUMED)
					.orElse(false);
			}
			allMarkedAtCommit.put(offset, allMarked);
			this.committed.add(offset);
			return null;
		};
		willAnswer(recordCommit).given(this.consumer).commitSync(any(), any(Duration.class));
		willAnswer(recordCommit).given(this.consumer).commitAsync(any(), any());
		List<Object> heard = new CopyOnWriteArrayList<>();

		start(record -> heard.add(record.value()));
		await().atMost(Duration.ofSeconds(10)).until(() -> heard.size() == 10);
		for (int i = 10; i < 15; i++) {
			append("held-" + i);
		}

		await("the next poll runs while the first one's marks are written").atMost(Duration.ofSeconds(10))
			.until(() -> heard.size() == 15);
		assertThat(this.committed).as("offsets committed before their marks were written").isEmpty();
		gate.countDown();
		await().atMost(Duration.ofSeconds(10)).until(() -> this.committed.contains(15L));
		assertThat(allMarkedAtCommit).as("every offset committed, and whether its records were all CONSUMED then")
			.containsEntry(15L, true)
			.allSatisfy((offset, allMarked) -> assertThat(allMarked).as("offset " + offset).isTrue());
		assertThat(heard).doesNotHaveDuplicates();
	}

	@Test
	void aClaimThatOutwaitedItsLeaseIsCheckedAndAnIdTakenOverMeanwhileDoesNotRunTwice() throws Exception {
		useLease(Duration.ofMillis(300));
		String takenOver = "dedup:kafka:grp:taken-over";
		append("slow");
		append("taken-over");
		List<Object> heard = new CopyOnWriteArrayList<>();

		start(record -> {
			heard.add(record.value());
			if (record.offset() == 0) {
				sleep(700); // the claim made ahead for offset 1 expires meanwhile, and another consumer takes it
				assertThat(this.store.claim(takenOver, "other-owner", Duration.ofSeconds(30)).outcome())
					.isEqualTo(ClaimOutcome.ACQUIRED);
			}
		});

		await().atMost(Duration.ofSeconds(10)).until(() -> this.stats.count(Event.IN_PROGRESS_RETRIED) >= 1);
		assertThat(this.store.complete(takenOver, "other-owner", Duration.ofDays(1), null)).isTrue();
		await().atMost(Duration.ofSeconds(15)).until(() -> this.committed.contains(2L));
		assertThat(heard).containsExactly("value-0");
		assertThat(this.stats.count(Event.DUPLICATE)).isEqualTo(1);
	}

	private static void sleep(long millis) {
		try {
			Thread.sleep(millis);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	@Test
	void recordsOfAPollThatNeverCameUpAreReleasedWhenTheContainerStops() throws Exception {
		for (int i = 0; i < 3; i++) {
			append("stop-" + i);
		}
		List<ConsumerRecord<?, ?>> heard = new CopyOnWriteArrayList<>();

		start(record -> {
			heard.add(record);
			this.container.stop(false); // stop mid-poll: the rest of the poll is never delivered
		}, null, factory -> factory.getContainerProperties().setStopImmediate(true));

		await().atMost(Duration.ofSeconds(10)).until(() -> !this.container.isRunning());
		assertThat(heard).hasSize(1);
		assertThat(this.store.claims("dedup:kafka:grp:stop-2")).as("claimed ahead with the poll").isEqualTo(1);
		assertThat(claimAsOther("dedup:kafka:grp:stop-1")).as("released for the next consumer")
			.isEqualTo(ClaimOutcome.ACQUIRED);
		assertThat(claimAsOther("dedup:kafka:grp:stop-2")).isEqualTo(ClaimOutcome.ACQUIRED);
	}

}
