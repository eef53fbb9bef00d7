package dev.dedup.kafka.poll;

import org.jspecify.annotations.Nullable;

/**
 * The claimed batches a batch listener's consumer thread holds between the container's callbacks: the one
 * handed to the listener, until its outcome settles it, and one that stopped at a record after others that
 * may run, until the records before its stop are handed over (see {@code DedupAwareErrorHandler}). Confined
 * to that thread, like its {@link PollDedup}.
 */
public final class HeldBatches {

	private @Nullable ClaimedBatch<?, ?> running;

	private @Nullable ClaimedBatch<?, ?> stopped;

	/** The poll {@link #stopped} came from, compared by identity. */
	private @Nullable Object stoppedPoll;

	HeldBatches() {
	}

	/** The batch handed to the listener now; {@link #takeRunning()} gives it back for its outcome. */
	public void running(ClaimedBatch<?, ?> batch) {
		this.running = batch;
	}

	@Nullable ClaimedBatch<?, ?> running() {
		return this.running;
	}

	public @Nullable ClaimedBatch<?, ?> takeRunning() {
		ClaimedBatch<?, ?> batch = this.running;
		this.running = null;
		return batch;
	}

	/** Keep a batch that stopped after records that may run, until they are handed to the listener for {@code poll}. */
	public void stopped(Object poll, ClaimedBatch<?, ?> batch) {
		releaseStopped();
		this.stopped = batch;
		this.stoppedPoll = poll;
	}

	/** The batch kept by {@link #stopped} for this very poll, or null. */
	public @Nullable ClaimedBatch<?, ?> takeStopped(Object poll) {
		ClaimedBatch<?, ?> batch = this.stoppedPoll == poll ? this.stopped : null;
		if (batch != null) {
			this.stopped = null;
			this.stoppedPoll = null;
		}
		return batch;
	}

	/** The end of a batch poll: a batch still running or kept is released (its records are redelivered). */
	public void endPoll() {
		ClaimedBatch<?, ?> batch = takeRunning();
		if (batch != null) {
			batch.settle(0);
		}
		releaseStopped();
	}

	private void releaseStopped() {
		if (this.stopped != null) {
			this.stopped.settle(0);
			this.stopped = null;
			this.stoppedPoll = null;
		}
	}

}
