package dev.dedup.kafka.listener;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.springframework.kafka.KafkaException;
import org.springframework.kafka.listener.CommonErrorHandler;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.kafka.listener.ListenerExecutionFailedException;
import org.springframework.kafka.listener.MessageListenerContainer;
import org.springframework.kafka.support.TopicPartitionOffset;
import org.springframework.util.backoff.FixedBackOff;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;
import static org.mockito.BDDMockito.given;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.verifyNoMoreInteractions;

class DedupAwareErrorHandlerTests {

	private final CommonErrorHandler delegate = mock(CommonErrorHandler.class);

	private final DedupAwareErrorHandler handler = new DedupAwareErrorHandler(this.delegate);

	@SuppressWarnings("unchecked")
	private final Consumer<Object, Object> consumer = mock(Consumer.class);

	private final MessageListenerContainer container = mock(MessageListenerContainer.class);

	private final ConsumerRecord<Object, Object> first = new ConsumerRecord<>("orders", 0, 10, "k", "v");

	private final ConsumerRecord<Object, Object> second = new ConsumerRecord<>("orders", 0, 11, "k", "v");

	private final ConsumerRecord<Object, Object> other = new ConsumerRecord<>("orders", 1, 7, "k", "v");

	@Test
	void ordinaryFailuresOfRemainingRecordsGoToTheDelegate() {
		IllegalStateException boom = new IllegalStateException("boom");
		List<ConsumerRecord<?, ?>> records = List.of(this.first, this.second);

		this.handler.handleRemaining(boom, records, this.consumer, this.container);

		verify(this.delegate).handleRemaining(boom, records, this.consumer, this.container);
		verifyNoInteractions(this.consumer);
	}

	@Test
	void ordinaryFailureOfOneRecordGoesToTheDelegate() {
		IllegalStateException boom = new IllegalStateException("boom");
		given(this.delegate.handleOne(boom, this.first, this.consumer, this.container)).willReturn(true);

		assertThat(this.handler.handleOne(boom, this.first, this.consumer, this.container)).isTrue();

		verify(this.delegate).handleOne(boom, this.first, this.consumer, this.container);
	}

	@Test
	void everyOtherMethodIsDelegated() {
		IllegalStateException boom = new IllegalStateException("boom");
		ConsumerRecords<Object, Object> batch = new ConsumerRecords<>(
				Map.of(new TopicPartition("orders", 0), List.of(this.first)), Map.of());
		Runnable invoke = () -> {
		};
		Runnable publishPause = () -> {
		};
		TopicPartitionOffset tpo = new TopicPartitionOffset("orders", 0, 10L);
		List<TopicPartition> partitions = List.of(new TopicPartition("orders", 0));
		given(this.delegate.seeksAfterHandling()).willReturn(true);
		given(this.delegate.deliveryAttemptHeader()).willReturn(true);
		given(this.delegate.deliveryAttempt(tpo)).willReturn(3);
		given(this.delegate.isAckAfterHandle()).willReturn(false);
		given(this.delegate.handleBatchAndReturnRemaining(boom, batch, this.consumer, this.container, invoke))
			.willReturn(batch);

		this.handler.handleOtherException(boom, this.consumer, this.container, true);
		this.handler.handleBatch(boom, batch, this.consumer, this.container, invoke);
		assertThat(this.handler.<Object, Object>handleBatchAndReturnRemaining(boom, batch, this.consumer,
				this.container, invoke)).isSameAs(batch);
		assertThat(this.handler.seeksAfterHandling()).isTrue();
		assertThat(this.handler.deliveryAttemptHeader()).isTrue();
		assertThat(this.handler.deliveryAttempt(tpo)).isEqualTo(3);
		this.handler.clearThreadState();
		assertThat(this.handler.isAckAfterHandle()).isFalse();
		this.handler.setAckAfterHandle(true);
		this.handler.onPartitionsAssigned(this.consumer, partitions, publishPause);

		verify(this.delegate).handleOtherException(boom, this.consumer, this.container, true);
		verify(this.delegate).handleBatch(boom, batch, this.consumer, this.container, invoke);
		verify(this.delegate).handleBatchAndReturnRemaining(boom, batch, this.consumer, this.container, invoke);
		verify(this.delegate).seeksAfterHandling();
		verify(this.delegate).deliveryAttemptHeader();
		verify(this.delegate).deliveryAttempt(tpo);
		verify(this.delegate).clearThreadState();
		verify(this.delegate).isAckAfterHandle();
		verify(this.delegate).setAckAfterHandle(true);
		verify(this.delegate).onPartitionsAssigned(this.consumer, partitions, publishPause);
		verifyNoMoreInteractions(this.delegate);
	}

	@Test
	void retryLaterSeeksEveryRemainingRecordBackWithoutTheDelegate() {
		given(this.container.isRunning()).willReturn(true);
		DedupRetryLaterException wait = new DedupRetryLaterException("held", Duration.ofMillis(5), null);

		handleRemainingIgnoringThrown(wait, List.of(this.first, this.second, this.other));

		verify(this.consumer).seek(new TopicPartition("orders", 0), 10L);
		verify(this.consumer).seek(new TopicPartition("orders", 1), 7L);
		verifyNoMoreInteractions(this.consumer);
		verifyNoInteractions(this.delegate);
	}

	@Test
	void retryLaterTellsTheContainerTheSoughtBackRecordsAreNotDone() {
		// A normal return would let the container commit past the record it just sought back
		// (commitOffsetsIfNeededAfterHandlingError, ackAfterHandle): a crash before the redelivery would lose it.
		given(this.container.isRunning()).willReturn(true);
		DedupRetryLaterException wait = new DedupRetryLaterException("held", Duration.ofMillis(5), null);
		ListenerExecutionFailedException wrapped = new ListenerExecutionFailedException("listener failed", wait);

		assertThatExceptionOfType(KafkaException.class)
			.isThrownBy(() -> this.handler.handleRemaining(wrapped, List.of(this.first), this.consumer,
					this.container))
			.satisfies(ex -> assertThat(ex.getCause()).isSameAs(wait));
		verify(this.consumer).seek(new TopicPartition("orders", 0), 10L);
		verifyNoInteractions(this.delegate);
	}

	@Test
	void retryLaterWrappedInAListenerExecutionFailedExceptionIsRecognised() {
		given(this.container.isRunning()).willReturn(true);
		ListenerExecutionFailedException wrapped = new ListenerExecutionFailedException("listener failed",
				new DedupRetryLaterException("held", Duration.ofMillis(5), null));

		handleRemainingIgnoringThrown(wrapped, List.of(this.first));
		boolean handled = this.handler.handleOne(wrapped, this.first, this.consumer, this.container);

		assertThat(handled).isFalse();
		verify(this.consumer).seek(new TopicPartition("orders", 0), 10L);
		verifyNoInteractions(this.delegate);
	}

	@Test
	void retryLaterInHandleOneIsNotHandledSoTheContainerKeepsTheRecord() {
		given(this.container.isRunning()).willReturn(true);

		boolean handled = this.handler.handleOne(new DedupRetryLaterException("held", Duration.ofMillis(5), null),
				this.first, this.consumer, this.container);

		assertThat(handled).isFalse();
		verifyNoInteractions(this.delegate);
	}

	@Test
	void retryLaterWaitsTheSuggestedTimeButStopsWhenTheContainerStops() {
		given(this.container.isRunning()).willReturn(true);
		long start = System.nanoTime();
		handleRemainingIgnoringThrown(new DedupRetryLaterException("held", Duration.ofMillis(300), null),
				List.of(this.first));
		assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(290));

		given(this.container.isRunning()).willReturn(false);
		start = System.nanoTime();
		handleRemainingIgnoringThrown(new DedupRetryLaterException("held", Duration.ofSeconds(30), null),
				List.of(this.first));
		assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
	}

	@Test
	void retryLaterDoesNotSpendTheRetryBudgetOfARealDefaultErrorHandler() {
		given(this.container.isRunning()).willReturn(true);
		List<ConsumerRecord<?, ?>> recovered = new ArrayList<>();
		DefaultErrorHandler real = new DefaultErrorHandler((record, ex) -> recovered.add(record),
				new FixedBackOff(0, 1));
		DedupAwareErrorHandler wrapped = new DedupAwareErrorHandler(real);
		given(this.container.getContainerProperties()).willReturn(new ContainerProperties("orders"));

		for (int i = 0; i < 5; i++) {
			try {
				wrapped.handleRemaining(new DedupRetryLaterException("held", Duration.ofMillis(1), null),
						List.of(this.first), this.consumer, this.container);
			}
			catch (RuntimeException expected) {
				// a wrapper may tell the container not to commit by throwing
			}
		}
		assertThat(recovered).isEmpty();
		assertThat(real.deliveryAttempt(new TopicPartitionOffset("orders", 0, 10L))).isEqualTo(1);
	}

	@Test
	void wrapIsIdempotent() {
		CommonErrorHandler once = DedupAwareErrorHandler.wrap(this.delegate);
		CommonErrorHandler twice = DedupAwareErrorHandler.wrap(once);

		assertThat(once).isInstanceOf(DedupAwareErrorHandler.class);
		assertThat(((DedupAwareErrorHandler) once).delegate()).isSameAs(this.delegate);
		assertThat(twice).isSameAs(once);
		assertThat(DedupAwareErrorHandler.wrap(this.handler)).isSameAs(this.handler);
	}

	@Test
	void delegateIsRequired() {
		assertThatNullPointerException().isThrownBy(() -> new DedupAwareErrorHandler(null));
	}

	private void handleRemainingIgnoringThrown(Exception thrown, List<ConsumerRecord<?, ?>> records) {
		assertThatCode(() -> {
			try {
				this.handler.handleRemaining(thrown, records, this.consumer, this.container);
			}
			catch (RuntimeException ex) {
				// throwing (so the container does not commit the sought-back record) is allowed
			}
		}).doesNotThrowAnyException();
	}

}
