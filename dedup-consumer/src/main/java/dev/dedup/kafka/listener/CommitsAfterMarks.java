package dev.dedup.kafka.listener;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetCommitCallback;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.core.ConsumerPostProcessor;

import dev.dedup.kafka.poll.ConsumerDedup;
import dev.dedup.kafka.poll.PollDedup;

/**
 * Holds each offset commit back until the marks handed to the background before it are written, so that a
 * consumer thread need not wait for its poll's marks before the container commits: it goes on to the next
 * poll while they are written, and the held-back offsets go out with the container's next commit or with
 * the consumer's next poll, whichever first finds their marks written. Marks are still written before the
 * offsets they cover are committed; the committed offsets trail by one poll instead of the consumer waiting
 * a store call per poll.
 * <p>
 * It changes {@code commitSync} and {@code commitAsync} with explicit offsets (what the container calls), and
 * only while marks are in flight on the calling consumer thread. A commit without offsets, a revocation
 * ({@link #commitHeld}) and {@code close} first wait for the marks and commit what is held. Offsets of lost
 * partitions are dropped ({@link #forget}). Kafka transactions send offsets through the producer, and their
 * marks are written after the commit anyway: nothing to hold there. A held-back commit that fails is logged:
 * its records are redelivered and skipped as duplicates, their marks being written.
 */
final class CommitsAfterMarks<K, V> implements ConsumerPostProcessor<K, V> {

	private static final Logger log = LoggerFactory.getLogger(CommitsAfterMarks.class);

	/** For the commits this class makes itself at a revocation or a close, as the container's default does. */
	private static final Duration COMMIT_TIMEOUT = Duration.ofSeconds(60);

	private final ConsumerDedup dedup;

	CommitsAfterMarks(ConsumerDedup dedup) {
		this.dedup = dedup;
	}

	/** Adds the post-processor to {@code factory} once; false if the factory takes no post-processors. */
	static boolean installOn(@Nullable ConsumerFactory<?, ?> factory, ConsumerDedup dedup) {
		return ConsumerProxies.installOnce(factory, CommitsAfterMarks.class, () -> new CommitsAfterMarks<>(dedup));
	}

	@Override
	public Consumer<K, V> apply(Consumer<K, V> consumer) {
		return ConsumerProxies.wrap(consumer, new HeldCommits(consumer, this.dedup));
	}

	/**
	 * Partitions are being revoked: waits for the calling thread's marks and commits every offset held back,
	 * before the container's own commit and before another consumer can take the partitions over.
	 */
	static void commitHeld(Consumer<?, ?> consumer) {
		HeldCommits held = find(consumer);
		if (held != null) {
			held.awaitMarksAndCommit();
		}
	}

	/** Partitions were lost (their offsets can no longer be committed by this consumer): drops their held offsets. */
	static void forget(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
		HeldCommits held = find(consumer);
		if (held != null) {
			held.forget(partitions);
		}
	}

	private static @Nullable HeldCommits find(Consumer<?, ?> consumer) {
		return ConsumerProxies.find(consumer, HeldCommits.class);
	}

	/** One consumer's held-back commits; used on its consumer thread only, as the consumer itself. */
	private static final class HeldCommits implements MethodInterceptor {

		private final Consumer<?, ?> target;

		private final ConsumerDedup dedup;

		/** Held-back commits, oldest first, each with the count of marks that must be written before it. */
		private final Deque<Held> held = new ArrayDeque<>();

		HeldCommits(Consumer<?, ?> target, ConsumerDedup dedup) {
			this.target = target;
			this.dedup = dedup;
		}

		@Override
		@SuppressWarnings("unchecked")
		public @Nullable Object invoke(MethodInvocation invocation) throws Throwable {
			String name = invocation.getMethod().getName();
			Object[] args = invocation.getArguments();
			switch (name) {
				case "poll" -> {
					PollDedup poll = this.dedup.forCurrentThread();
					poll.commitsFollowMarks();
					poll.countSettledMarks();
					commitWritten(poll);
					return invocation.proceed();
				}
				case "commitSync", "commitAsync" -> {
					if (args.length > 0 && args[0] instanceof Map<?, ?> offsets) {
						return commit(invocation, (Map<TopicPartition, OffsetAndMetadata>) offsets);
					}
					awaitMarksAndCommit(); // the consumer's positions: commit what is held first, then them
					return invocation.proceed();
				}
				case "close" -> {
					try {
						awaitMarksAndCommit();
					}
					catch (RuntimeException ex) {
						log.warn("Could not commit the offsets held back for their marks before closing the consumer; "
								+ "their records are redelivered and skipped as duplicates: {}", ex.getMessage());
					}
					return invocation.proceed();
				}
				default -> {
					return invocation.proceed();
				}
			}
		}

		/**
		 * The container's commit: sent now with the held offsets whose marks are written, if the marks handed
		 * over before it are written too; otherwise held, and only the written ones sent.
		 */
		private @Nullable Object commit(MethodInvocation invocation, Map<TopicPartition, OffsetAndMetadata> offsets)
				throws Throwable {
			PollDedup poll = this.dedup.currentIfAny();
			if (poll == null) {
				return invocation.proceed();
			}
			long handedOver = poll.marksHandedOver();
			Map<TopicPartition, OffsetAndMetadata> now = takeWritten(poll);
			if (poll.marksWrittenThrough(handedOver) && this.held.isEmpty()) {
				if (now.isEmpty()) {
					return invocation.proceed();
				}
				now.putAll(offsets); // later offsets win
			}
			else {
				this.held.addLast(new Held(handedOver, new HashMap<>(offsets)));
				// The container's own offsets are held, so it waits for none of these: they go in the background,
				// as at a poll. With the container's commitSync here, nearly every poll waited a commit round
				// trip for the previous poll's offsets.
				commitInBackground(now);
				return null;
			}
			Object[] args = invocation.getArguments();
			if (invocation.getMethod().getName().equals("commitSync")) {
				if (args.length > 1 && args[1] instanceof Duration timeout) {
					this.target.commitSync(now, timeout);
				}
				else {
					this.target.commitSync(now);
				}
			}
			else {
				this.target.commitAsync(now, args.length > 1 ? (OffsetCommitCallback) args[1] : null);
			}
			return null;
		}

		/** Removes and merges (later offsets winning) the held commits whose marks are written. */
		private Map<TopicPartition, OffsetAndMetadata> takeWritten(PollDedup poll) {
			Map<TopicPartition, OffsetAndMetadata> written = new LinkedHashMap<>();
			while (!this.held.isEmpty() && poll.marksWrittenThrough(this.held.peekFirst().handedOver())) {
				written.putAll(this.held.pollFirst().offsets());
			}
			return written;
		}

		/**
		 * The consumer polls again: commits the held offsets whose marks are written by now, in the background,
		 * rather than leave them for a container commit that an idle consumer will not make. Right after a
		 * busy poll its marks are rarely written yet, so this seldom adds a commit to the container's.
		 */
		private void commitWritten(PollDedup poll) {
			if (this.held.isEmpty()) {
				return; // as a rule: nothing to look at on this poll
			}
			commitInBackground(takeWritten(poll));
		}

		private void commitInBackground(Map<TopicPartition, OffsetAndMetadata> written) {
			if (!written.isEmpty()) {
				this.target.commitAsync(written, (offsets, ex) -> {
					if (ex != null) {
						logFailedCommit(offsets, ex);
					}
				});
			}
		}

		/**
		 * Waits for every mark handed over, so that the container's own commit that follows (a revocation's, or
		 * the last before close) goes out at once, and commits what is held.
		 */
		void awaitMarksAndCommit() {
			PollDedup poll = this.dedup.currentIfAny();
			if (poll == null) {
				return;
			}
			poll.awaitMarks();
			Map<TopicPartition, OffsetAndMetadata> written = takeWritten(poll);
			if (!written.isEmpty()) {
				try {
					this.target.commitSync(written, COMMIT_TIMEOUT);
				}
				catch (KafkaException ex) {
					logFailedCommit(written, ex);
				}
			}
		}

		private static void logFailedCommit(Map<TopicPartition, OffsetAndMetadata> offsets, Exception ex) {
			log.warn("Could not commit {} once their marks were written; the records are redelivered and skipped "
					+ "as duplicates: {}", offsets, ex.getMessage());
		}

		void forget(Collection<TopicPartition> partitions) {
			this.held.forEach(commit -> partitions.forEach(commit.offsets()::remove));
		}

	}

	private record Held(long handedOver, Map<TopicPartition, OffsetAndMetadata> offsets) {
	}

}
