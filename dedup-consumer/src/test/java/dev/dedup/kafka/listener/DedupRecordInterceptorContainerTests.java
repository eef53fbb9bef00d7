package dev.dedup.kafka.listener;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mockito.InOrder;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.listener.CompositeRecordInterceptor;
import org.springframework.kafka.listener.ConcurrentMessageListenerContainer;
import org.springframework.kafka.listener.ContainerProperties.AckMode;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.kafka.listener.MessageListener;
import org.springframework.kafka.listener.RecordInterceptor;
import org.springframework.kafka.support.TopicPartitionOffset;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.AbstractPlatformTransactionManager;
import org.springframework.transaction.support.DefaultTransactionStatus;
import org.springframework.util.backoff.FixedBackOff;

import dev.dedup.core.engine.DedupEngine;
import dev.dedup.core.key.DedupKeys;
import dev.dedup.core.store.ClaimOutcome;
import dev.dedup.core.store.ClaimResult;
import dev.dedup.core.store.DedupStore;
import dev.dedup.core.store.DedupStoreException;
import dev.dedup.core.store.InMemoryDedupStore;
import dev.dedup.core.store.StoredEntry;
import dev.dedup.kafka.id.HeaderMessageIdResolver;
import dev.dedup.kafka.poll.DedupKafkaStats;
import dev.dedup.kafka.poll.DedupKafkaStats.Event;
import dev.dedup.kafka.poll.InProgressPolicy;
import dev.dedup.kafka.poll.ListenerDedupSettings;
import dev.dedup.kafka.poll.ListenerSettingsResolver;
import dev.dedup.kafka.poll.MissingIdPolicy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.argThat;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.ArgumentMatchers.same;
import static org.mockito.BDDMockito.given;
import static org.mockito.BDDMockito.willAnswer;
import static org.mockito.Mockito.atLeast;
import static org.mockito.Mockito.atLeastOnce;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.spy;
import static org.mockito.Mockito.timeout;
import static org.mockito.Mockito.verify;

/**
 * Drives a real listener container over a mocked {@link Consumer} that behaves like one partition of a log:
 * {@code poll} returns every record from the current position, {@code seek} moves the position back.
 */
class DedupRecordInterceptorContainerTests {

	private static final String GROUP = "grp";

	private static final String TOPIC = "orders";

	private static final TopicPartition TP = new TopicPartition(TOPIC, 0);

	private static final Duration LEASE = Duration.ofSeconds(30);

	final CountingStore store = new CountingStore(new InMemoryDedupStore());

	final DedupKafkaStats stats = new DedupKafkaStats();

	private final List<ConsumerRecord<Object, Object>> log = new CopyOnWriteArrayList<>();

	private final AtomicLong position = new AtomicLong();

	final List<Long> committed = new CopyOnWriteArrayList<>();

	final List<ConsumerRecord<?, ?>> recovered = new CopyOnWriteArrayList<>();

	@SuppressWarnings("unchecked")
	final Consumer<Object, Object> consumer = mock(Consumer.class);

	private DedupEngine engine;

	private DedupRecordInterceptor<Object, Object> interceptor;

	ConcurrentMessageListenerContainer<Object, Object> container;

	@BeforeEach
	void fakeConsumer() {
		given(this.consumer.poll(any())).willAnswer(invocation -> {
			long from = this.position.get();
			List<ConsumerRecord<Object, Object>> batch = this.log.stream().filter(r -> r.offset() >= from).toList();
			if (batch.isEmpty()) {
				Thread.sleep(10);
				return ConsumerRecords.empty();
			}
			this.position.set(batch.get(batch.size() - 1).offset() + 1);
			ConsumerRecords<Object, Object> records = new ConsumerRecords<>(Map.of(TP, batch), Map.of());
			// As kafka-clients calls the interceptors listed in interceptor.classes, inside poll().
			return capturesPolls() ? new PollCapturingInterceptor<Object, Object>().onConsume(records) : records;
		});
		willAnswer(invocation -> {
			this.position.set(invocation.getArgument(1));
			return null;
		}).given(this.consumer).seek(any(TopicPartition.class), anyLong());
		willAnswer(invocation -> {
			Map<TopicPartition, OffsetAndMetadata> offsets = invocation.getArgument(0);
			this.committed.add(offsets.get(TP).offset());
			return null;
		}).given(this.consumer).commitSync(any(), any(Duration.class));
		this.engine = new DedupEngine(this.store);
		useLease(LEASE);
	}

	/** Replaces the interceptor by one whose claims hold for {@code lease}; call it before {@link #start}. */
	void useLease(Duration lease) {
		this.interceptor = spy(new DedupRecordInterceptor<>(this.engine,
				new DedupKeys("dedup", this.store.maxKeyLength()),
				ListenerSettingsResolver.fixed(new ListenerDedupSettings(new HeaderMessageIdResolver("dedup-id"),
						MissingIdPolicy.OFFSET, lease, Duration.ofDays(1), InProgressPolicy.RETRY)),
				this.stats));
	}

	/** Whether the consumer shows its polls to {@link PollCapturingInterceptor}, so the interceptor batches. */
	boolean capturesPolls() {
		return false;
	}

	@AfterEach
	void stop() {
		if (this.container != null) {
			this.container.stop();
		}
		this.engine.close();
	}

	@Test
	void duplicateSkipsTheListenerCommitsItsOffsetAndCompletesNothing() throws Exception {
		this.store.claim("dedup:kafka:grp:dup-1", "earlier-run", LEASE);
		this.store.complete("dedup:kafka:grp:dup-1", "earlier-run", Duration.ofDays(1), null);
		ConsumerRecord<Object, Object> duplicate = append("dup-1");
		ConsumerRecord<Object, Object> fresh = append("fresh-1");
		List<ConsumerRecord<?, ?>> heard = new CopyOnWriteArrayList<>();
		CountDownLatch done = new CountDownLatch(1);

		start(record -> {
			heard.add(record);
			done.countDown();
		});

		assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
		await().atMost(Duration.ofSeconds(10)).until(() -> this.committed.contains(2L));
		assertThat(heard).extracting(ConsumerRecord::offset).containsExactly(1L);
		InOrder inOrder = inOrder(this.interceptor, this.consumer);
		inOrder.verify(this.interceptor).intercept(same(duplicate), any());
		inOrder.verify(this.consumer).commitSync(eq(Map.of(TP, new OffsetAndMetadata(1))), any(Duration.class));
		inOrder.verify(this.interceptor).success(same(duplicate), any()); // spring-kafka calls it for skips
		inOrder.verify(this.interceptor).afterRecord(same(duplicate), any());
		inOrder.verify(this.interceptor).intercept(same(fresh), any());
		inOrder.verify(this.consumer).commitSync(eq(Map.of(TP, new OffsetAndMetadata(2))), any(Duration.class));
		inOrder.verify(this.interceptor).success(same(fresh), any());
		assertThat(this.stats.count(Event.DUPLICATE)).isEqualTo(1);
		awaitCompleted(1);
		assertThat(this.store.claims("dedup:kafka:grp:dup-1")).isEqualTo(2); // ours and the pre-completion's
		assertThat(claimAsOther("dedup:kafka:grp:dup-1")).isEqualTo(ClaimOutcome.DUPLICATE);
		assertThat(claimAsOther("dedup:kafka:grp:fresh-1")).isEqualTo(ClaimOutcome.DUPLICATE);
	}

	@Test
	void listenerFailureReleasesTheClaimAndTheRedeliveryClaimsAgain() throws Exception {
		ConsumerRecord<Object, Object> record = append("order-7");
		AtomicInteger attempts = new AtomicInteger();
		List<String> sideEffects = new CopyOnWriteArrayList<>();
		CountDownLatch done = new CountDownLatch(1);

		start(received -> {
			if (attempts.incrementAndGet() == 1) {
				throw new IllegalStateException("transient failure");
			}
			sideEffects.add((String) received.value());
			done.countDown();
		});

		assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
		await().atMost(Duration.ofSeconds(10)).until(() -> this.committed.contains(1L));
		InOrder inOrder = inOrder(this.interceptor, this.consumer);
		inOrder.verify(this.interceptor).intercept(same(record), any());
		inOrder.verify(this.interceptor).failure(same(record), any(), any());
		inOrder.verify(this.consumer).seek(TP, 0L);
		inOrder.verify(this.interceptor).afterRecord(same(record), any());
		inOrder.verify(this.interceptor).intercept(same(record), any());
		inOrder.verify(this.consumer).commitSync(eq(Map.of(TP, new OffsetAndMetadata(1))), any(Duration.class));
		inOrder.verify(this.interceptor).success(same(record), any());
		assertThat(this.store.claims("dedup:kafka:grp:order-7")).isEqualTo(2);
		assertThat(attempts).hasValue(2);
		assertThat(sideEffects).containsExactly("value-0");
		assertThat(this.recovered).isEmpty();
		assertThat(this.stats.count(Event.RELEASED)).isEqualTo(1);
		awaitCompleted(1);
		assertThat(claimAsOther("dedup:kafka:grp:order-7")).isEqualTo(ClaimOutcome.DUPLICATE);
	}

	@Test
	void recordHeldByAnotherOwnerWaitsWithoutSpendingTheRetryBudgetAndRunsOnceTheLeaseExpires()
			throws Exception {
		String key = "dedup:kafka:grp:order-9";
		LeaseHolder other = LeaseHolder.hold(this.store, key, Duration.ofMillis(600), Duration.ofMillis(2000));
		ConsumerRecord<Object, Object> record = append("order-9");
		List<ConsumerRecord<?, ?>> heard = new CopyOnWriteArrayList<>();
		try {
			start(heard::add);

			await().atMost(Duration.ofSeconds(15)).until(() -> !heard.isEmpty());
			await().atMost(Duration.ofSeconds(10)).until(() -> this.committed.contains(1L));
		}
		finally {
			other.close();
		}
		Thread.sleep(300); // anything left to go wrong, let it
		assertThat(heard).containsExactly(record);
		assertThat(this.recovered).isEmpty();
		// the error handler allows 2 retries; the wait took more deliveries than that
		assertThat(this.store.claims(key)).isGreaterThan(3);
		verify(this.consumer, atLeast(3)).seek(TP, 0L);
		assertThat(this.stats.count(Event.IN_PROGRESS_RETRIED)).isGreaterThanOrEqualTo(3);
		assertThat(this.stats.count(Event.ACQUIRED)).isEqualTo(1);
		awaitCompleted(1);
		assertThat(claimAsOther(key)).isEqualTo(ClaimOutcome.DUPLICATE);
	}

	@Test
	void recordWaitingForAnotherOwnerIsNotCommittedPastBeforeItRuns() throws Exception {
		String key = "dedup:kafka:grp:order-10";
		LeaseHolder other = LeaseHolder.hold(this.store, key, Duration.ofMillis(300), Duration.ofMillis(1000));
		append("order-10");
		List<Long> committedBeforeRun = new ArrayList<>();
		List<ConsumerRecord<?, ?>> heard = new CopyOnWriteArrayList<>();
		try {
			start(received -> {
				committedBeforeRun.addAll(this.committed);
				heard.add(received);
			});
			await().atMost(Duration.ofSeconds(15)).until(() -> !heard.isEmpty());
		}
		finally {
			other.close();
		}
		// Committing offset 1 while the record only waits would lose it on a crash or rebalance.
		assertThat(committedBeforeRun).as("offsets committed before the waiting record ran").doesNotContain(1L);
	}

	@Test
	void recordWaitingForTheStoreUnderFailClosedDoesNotSpendTheRetryBudgetAndRunsOnce() throws Exception {
		String key = "dedup:kafka:grp:order-12";
		this.store.down = true;
		ConsumerRecord<Object, Object> record = append("order-12");
		List<Long> committedBeforeRun = new ArrayList<>();
		List<ConsumerRecord<?, ?>> heard = new CopyOnWriteArrayList<>();

		start(received -> {
			committedBeforeRun.addAll(this.committed);
			heard.add(received);
		});
		// 4 deliveries while the store is down; the error handler would have given up after 3
		await().atMost(Duration.ofSeconds(15)).until(() -> this.store.claims(key) >= 4);
		assertThat(heard).isEmpty();
		this.store.down = false;

		await().atMost(Duration.ofSeconds(10)).until(() -> this.committed.contains(1L));
		assertThat(heard).containsExactly(record);
		assertThat(committedBeforeRun).doesNotContain(1L);
		assertThat(this.recovered).isEmpty();
		assertThat(this.stats.count(Event.STORE_UNAVAILABLE_RETRIED)).isGreaterThanOrEqualTo(4);
		awaitCompleted(1);
		assertThat(claimAsOther(key)).isEqualTo(ClaimOutcome.DUPLICATE);
	}

	@Test
	@SuppressWarnings("removal")
	void recordWaitingForAnotherOwnerInATransactionalContainerIsNotSkipped() throws Exception {
		String key = "dedup:kafka:grp:order-13";
		LeaseHolder other = LeaseHolder.hold(this.store, key, Duration.ofMillis(300), Duration.ofMillis(600));
		ConsumerRecord<Object, Object> waiting = append("order-13");
		ConsumerRecord<Object, Object> next = append("order-14");
		List<ConsumerRecord<?, ?>> heard = new CopyOnWriteArrayList<>();
		try {
			start(heard::add, null, factory -> factory.getContainerProperties()
				.setTransactionManager(new NoOpTransactionManager()));
			await().atMost(Duration.ofSeconds(10)).until(() -> heard.contains(next));
			Thread.sleep(1500); // the other owner's lease has run out by now
		}
		finally {
			other.close();
		}
		// spring-kafka calls interceptors before the transaction by default, outside the error handling that
		// seeks records back; the configurer moves the interceptor inside, so the waiting record is kept.
		assertThat(heard).contains(waiting);
	}

	@Test
	void failureForARecordThisConsumerDidNotAcquireReleasesNothing() throws Exception {
		String key = "dedup:kafka:grp:order-11";
		this.store.claim(key, "other-owner", LEASE);
		ConsumerRecord<Object, Object> record = append("order-11");
		List<ConsumerRecord<?, ?>> heard = new CopyOnWriteArrayList<>();

		start(heard::add);

		await().atMost(Duration.ofSeconds(10)).until(() -> this.store.claims(key) >= 3);
		// The container reports a delivery's failure after its claim was counted: wait for the reports too.
		verify(this.interceptor, timeout(10_000).atLeast(2)).failure(same(record), any(DedupRetryLaterException.class),
				any());
		this.container.stop();
		assertThat(heard).isEmpty();
		assertThat(this.recovered).isEmpty();
		assertThat(this.stats.count(Event.RELEASED)).isZero();
		assertThat(claimAsOther(key)).isEqualTo(ClaimOutcome.IN_PROGRESS);
		assertThat(this.store.complete(key, "other-owner", Duration.ofDays(1), null)).isTrue();
	}

	@Test
	void successWithoutInterceptCompletesNothing() throws Exception {
		ConsumerRecord<Object, Object> filtered = append("filtered-1");
		ConsumerRecord<Object, Object> kept = append("kept-1");
		RecordInterceptor<Object, Object> filter = (record, consumer) -> record == filtered ? null : record;
		List<ConsumerRecord<?, ?>> heard = new CopyOnWriteArrayList<>();

		start(heard::add, new CompositeRecordInterceptor<>(filter, this.interceptor));

		await().atMost(Duration.ofSeconds(10)).until(() -> this.committed.contains(2L));
		verify(this.interceptor, never()).intercept(same(filtered), any());
		verify(this.interceptor).success(same(filtered), any()); // the composite tells every delegate
		assertThat(heard).containsExactly(kept);
		assertThat(this.store.claims("dedup:kafka:grp:filtered-1")).isZero();
		awaitCompleted(1);
		assertThat(claimAsOther("dedup:kafka:grp:filtered-1")).isEqualTo(ClaimOutcome.ACQUIRED);
		assertThat(claimAsOther("dedup:kafka:grp:kept-1")).isEqualTo(ClaimOutcome.DUPLICATE);
	}

	void start(MessageListener<Object, Object> listener) {
		start(listener, null);
	}

	void start(MessageListener<Object, Object> listener,
			@Nullable RecordInterceptor<Object, Object> replacement) {
		start(listener, replacement, factory -> {
		});
	}

	/** RECORD: each record is committed on its own, which the scenarios observe. */
	AckMode ackMode = AckMode.RECORD;

	/** Whether the consumer holds its commits back for the marks, as {@link CommitsAfterMarks} on a real factory. */
	boolean holdsCommitsForMarks;

	@SuppressWarnings("unchecked")
	void start(MessageListener<Object, Object> listener,
			@Nullable RecordInterceptor<Object, Object> replacement,
			java.util.function.Consumer<ConcurrentKafkaListenerContainerFactory<Object, Object>> customizer) {
		ConsumerFactory<Object, Object> consumerFactory = mock(ConsumerFactory.class);
		Consumer<Object, Object> created = this.holdsCommitsForMarks
				? new CommitsAfterMarks<Object, Object>(this.interceptor.dedup()).apply(this.consumer) : this.consumer;
		given(consumerFactory.createConsumer(any(), any(), any(), any())).willReturn(created);
		ConcurrentKafkaListenerContainerFactory<Object, Object> factory = new ConcurrentKafkaListenerContainerFactory<>();
		factory.setConsumerFactory(consumerFactory);
		factory.getContainerProperties().setGroupId(GROUP);
		factory.getContainerProperties().setAckMode(this.ackMode);
		factory.setCommonErrorHandler(new DefaultErrorHandler((record, ex) -> this.recovered.add(record),
				new FixedBackOff(0, 2)));
		customizer.accept(factory);
		new DedupKafkaConfigurer(this.interceptor, DefaultErrorHandler::new).configure(factory);
		this.container = factory.createContainer(new TopicPartitionOffset(TOPIC, 0));
		if (replacement != null) {
			this.container.setRecordInterceptor(replacement);
		}
		this.container.setupMessageListener(listener);
		this.container.start();
	}

	ConsumerRecord<Object, Object> append(String id) {
		long offset = this.log.size();
		RecordHeaders headers = new RecordHeaders();
		headers.add(new RecordHeader("dedup-id", id.getBytes(StandardCharsets.UTF_8)));
		ConsumerRecord<Object, Object> record = new ConsumerRecord<>(TOPIC, 0, offset, 0L,
				TimestampType.CREATE_TIME, -1, -1, "key-" + offset, "value-" + offset, headers, Optional.empty());
		this.log.add(record);
		return record;
	}

	/** With poll batching the mark is written in the background, after the offset commit the test awaited. */
	void awaitCompleted(long records) {
		await().atMost(Duration.ofSeconds(10)).until(() -> this.stats.count(Event.COMPLETED) >= records);
		assertThat(this.stats.count(Event.COMPLETED)).isEqualTo(records);
	}

	ClaimOutcome claimAsOther(String key) {
		return this.store.claim(key, "probe-" + System.nanoTime(), LEASE).outcome();
	}

	/** A transaction manager with nothing to commit, to put the container in its transactional mode. */
	static final class NoOpTransactionManager extends AbstractPlatformTransactionManager {

		@Override
		protected Object doGetTransaction() {
			return new Object();
		}

		@Override
		protected void doBegin(Object transaction, TransactionDefinition definition) {
		}

		@Override
		protected void doCommit(DefaultTransactionStatus status) {
		}

		@Override
		protected void doRollback(DefaultTransactionStatus status) {
		}

	}

	/** The real in-memory store, counting claim attempts per key, with a switch to take it down. */
	static final class CountingStore implements DedupStore {

		private final DedupStore delegate;

		private final Map<String, AtomicInteger> claims = new ConcurrentHashMap<>();

		/** While set, claims fail as if the store could not be reached. */
		volatile boolean down;

		CountingStore(DedupStore delegate) {
			this.delegate = delegate;
		}

		final AtomicInteger claimAllCalls = new AtomicInteger();

		final AtomicInteger completeAllCalls = new AtomicInteger();

		/** While set, marks of many records wait for it to open, as on a slow store. */
		volatile @Nullable CountDownLatch marksGate;

		int claims(String key) {
			AtomicInteger count = this.claims.get(key);
			return count == null ? 0 : count.get();
		}

		@Override
		public ClaimResult claim(String key, String owner, Duration lease) {
			this.claims.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
			if (this.down) {
				throw new DedupStoreException("connection refused");
			}
			return this.delegate.claim(key, owner, lease);
		}

		@Override
		public List<ClaimResult> claimAll(List<String> keys, String owner, Duration lease) {
			this.claimAllCalls.incrementAndGet();
			return DedupStore.super.claimAll(keys, owner, lease); // one claim() per key, each counted
		}

		@Override
		public boolean complete(String key, String owner, Duration retention, byte @Nullable [] result) {
			return this.delegate.complete(key, owner, retention, result);
		}

		@Override
		public List<Boolean> completeAll(List<String> keys, String owner, Duration retention) {
			this.completeAllCalls.incrementAndGet();
			CountDownLatch gate = this.marksGate;
			if (gate != null) {
				try {
					gate.await();
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					throw new DedupStoreException("interrupted");
				}
			}
			return this.delegate.completeAll(keys, owner, retention);
		}

		@Override
		public boolean release(String key, String owner) {
			return this.delegate.release(key, owner);
		}

		@Override
		public boolean renew(String key, String owner, Duration lease) {
			return this.delegate.renew(key, owner, lease);
		}

		@Override
		public Optional<StoredEntry> inspect(String key) {
			return this.delegate.inspect(key);
		}

	}

	/**
	 * Another consumer holding a key with a short lease that it renews for a while, then dies: it stops
	 * renewing and never completes, so the key frees up once the last lease runs out.
	 */
	static final class LeaseHolder implements AutoCloseable {

		private final ScheduledExecutorService renewer = Executors.newSingleThreadScheduledExecutor();

		static LeaseHolder hold(DedupStore store, String key, Duration lease, Duration renewFor) {
			assertThat(store.claim(key, "other-owner", lease).outcome()).isEqualTo(ClaimOutcome.ACQUIRED);
			LeaseHolder holder = new LeaseHolder();
			long until = System.nanoTime() + renewFor.toNanos();
			holder.renewer.scheduleAtFixedRate(() -> {
				if (System.nanoTime() < until) {
					store.renew(key, "other-owner", lease);
				}
			}, lease.toMillis() / 3, lease.toMillis() / 3, TimeUnit.MILLISECONDS);
			return holder;
		}

		@Override
		public void close() {
			this.renewer.shutdownNow();
		}

	}

}
