package dev.dedup.kafka.listener;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.kafka.KafkaException;

import dev.dedup.kafka.poll.Turn;

/**
 * Thrown by {@link DedupBatchInterceptor} when a batch holds a record that must wait or is rejected after
 * records that may run. {@link DedupAwareErrorHandler} then runs the records before it (through the
 * container's own re-invocation), and handles the stop: a wait seeks the rest back and waits without
 * spending the retry budget; a rejection goes to the delegate error handler as a
 * {@code BatchListenerFailedException} for that record, so records before it are committed and it is
 * retried and recovered as configured.
 */
public class DedupBatchStopException extends KafkaException {

	private final int index;

	private final ConsumerRecord<?, ?> record;

	private final Turn turn;

	public DedupBatchStopException(int index, ConsumerRecord<?, ?> record, Turn turn) {
		super("Dedup stops the batch at " + index + ": " + turn.reason(), KafkaException.Level.DEBUG, turn.cause());
		this.index = index;
		this.record = record;
		this.turn = turn;
	}

	/** The position of the record in the poll, in the order the container iterates it. */
	public int index() {
		return this.index;
	}

	public ConsumerRecord<?, ?> record() {
		return this.record;
	}

	public boolean isWait() {
		return this.turn.kind() == Turn.Kind.WAIT;
	}

	public Turn turn() {
		return this.turn;
	}

}
