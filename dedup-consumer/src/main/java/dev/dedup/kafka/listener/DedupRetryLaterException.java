package dev.dedup.kafka.listener;

import java.time.Duration;

import org.jspecify.annotations.Nullable;
import org.springframework.kafka.KafkaException;

/**
 * Thrown by {@link DedupRecordInterceptor} when a record must wait: another consumer holds its id, or the
 * store is down under fail-closed. {@link DedupAwareErrorHandler} seeks the record back and waits
 * {@link #retryAfter()} without spending the delegate error handler's retry budget, so such a record is
 * never recovered (skipped) for waiting.
 */
public class DedupRetryLaterException extends KafkaException {

	private final Duration retryAfter;

	public DedupRetryLaterException(String message, Duration retryAfter, @Nullable Throwable cause) {
		super(message, cause);
		this.retryAfter = retryAfter;
	}

	/** How long to wait before the record is polled again. */
	public Duration retryAfter() {
		return this.retryAfter;
	}

}
