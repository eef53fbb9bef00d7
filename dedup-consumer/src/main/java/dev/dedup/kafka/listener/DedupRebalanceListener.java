package dev.dedup.kafka.listener;

import java.util.Collection;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.common.TopicPartition;
import org.jspecify.annotations.Nullable;

import org.springframework.kafka.listener.ConsumerAwareRebalanceListener;

import dev.dedup.kafka.poll.ConsumerDedup;

/**
 * dedup's part of one container's rebalance callbacks, which run on its consumer threads: on assignment it
 * tells the thread which listener it serves (meters are tagged with it); on revocation, before the container's
 * own commit, it waits for the thread's marks and commits the offsets held back for them
 * ({@link CommitsAfterMarks}), and after it, it commits again the positions a failed transaction commit left
 * wrong ({@link RolledBackOffsets}).
 * The application's listener, if any, is called first in each callback.
 */
final class DedupRebalanceListener implements ConsumerAwareRebalanceListener {

	private final @Nullable ConsumerRebalanceListener delegate;

	/** The container calls only the consumer-aware callbacks of a consumer-aware listener. */
	private final @Nullable ConsumerAwareRebalanceListener aware;

	private final ConsumerDedup dedup;

	private final String listenerId;

	DedupRebalanceListener(@Nullable ConsumerRebalanceListener delegate, ConsumerDedup dedup, String listenerId) {
		this.delegate = delegate;
		this.aware = (delegate instanceof ConsumerAwareRebalanceListener listener) ? listener : null;
		this.dedup = dedup;
		this.listenerId = listenerId;
	}

	@Override
	public void onPartitionsRevokedBeforeCommit(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
		if (this.aware != null) {
			this.aware.onPartitionsRevokedBeforeCommit(consumer, partitions);
		}
		else if (this.delegate != null) {
			this.delegate.onPartitionsRevoked(partitions);
		}
		CommitsAfterMarks.commitHeld(consumer);
	}

	@Override
	public void onPartitionsRevokedAfterCommit(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
		if (this.aware != null) {
			this.aware.onPartitionsRevokedAfterCommit(consumer, partitions);
		}
		RolledBackOffsets.recommit(consumer, partitions);
	}

	@Override
	public void onPartitionsLost(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
		RolledBackOffsets.forget(partitions);
		CommitsAfterMarks.forget(consumer, partitions);
		if (this.aware != null) {
			this.aware.onPartitionsLost(consumer, partitions);
		}
		else if (this.delegate != null) {
			this.delegate.onPartitionsLost(partitions);
		}
	}

	@Override
	public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
		this.dedup.forCurrentThread().servesListener(this.listenerId);
		if (this.aware != null) {
			this.aware.onPartitionsAssigned(consumer, partitions);
		}
		else if (this.delegate != null) {
			this.delegate.onPartitionsAssigned(partitions);
		}
	}

}
