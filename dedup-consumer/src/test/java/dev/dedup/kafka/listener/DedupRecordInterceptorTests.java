package dev.dedup.kafka.listener;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.kafka.support.KafkaUtils;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import dev.dedup.core.engine.DedupEngine;
import dev.dedup.core.engine.DedupEngineConfig;
import dev.dedup.core.engine.StoreFailurePolicy;
import dev.dedup.core.key.DedupKeys;
import dev.dedup.core.key.InvalidMessageIdException;
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
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verifyNoInteractions;

class DedupRecordInterceptorTests {

	private static final String GROUP = "billing";

	private static final Duration LEASE = Duration.ofSeconds(30);

	private final InMemoryDedupStore store = new InMemoryDedupStore();

	private final DedupKafkaStats stats = new DedupKafkaStats();

	@SuppressWarnings("unchecked")
	private final Consumer<String, String> consumer = mock(Consumer.class);

	private DedupEngine engine;

	@BeforeEach
	void setGroup() {
		KafkaUtils.setConsumerGroupId(GROUP);
	}

	@AfterEach
	void clear() {
		KafkaUtils.clearConsumerGroupId();
		if (this.engine != null) {
			this.engine.close();
		}
	}

	@Test
	void acquiredRecordRunsAndSuccessMarksItConsumed() {
		DedupRecordInterceptor<String, String> interceptor = interceptor(MissingIdPolicy.OFFSET, InProgressPolicy.RETRY);
		ConsumerRecord<String, String> record = record(5, "id-1");

		assertThat(interceptor.intercept(record, this.consumer)).isSameAs(record);
		assertThat(claimAsOther("dedup:kafka:billing:id-1")).isEqualTo(ClaimOutcome.IN_PROGRESS);
		interceptor.success(record, this.consumer);

		assertThat(claimAsOther("dedup:kafka:billing:id-1")).isEqualTo(ClaimOutcome.DUPLICATE);
		assertThat(this.stats.count(Event.ACQUIRED)).isEqualTo(1);
		assertThat(this.stats.count(Event.COMPLETED)).isEqualTo(1);
		verifyNoInteractions(this.consumer);
	}

	@Test
	void duplicateIsSkippedAndItsSuccessCompletesNothing() {
		DedupRecordInterceptor<String, String> interceptor = interceptor(MissingIdPolicy.OFFSET, InProgressPolicy.RETRY);
		ConsumerRecord<String, String> first = record(5, "id-1");
		interceptor.intercept(first, this.consumer);
		interceptor.success(first, this.consumer);
		ConsumerRecord<String, String> resend = record(9, "id-1");

		assertThat(interceptor.intercept(resend, this.consumer)).isNull();
		interceptor.success(resend, this.consumer); // spring-kafka does this for skipped records
		interceptor.afterRecord(resend, this.consumer);

		assertThat(this.stats.count(Event.DUPLICATE)).isEqualTo(1);
		assertThat(this.stats.count(Event.COMPLETED)).isEqualTo(1);
		assertThat(claimAsOther("dedup:kafka:billing:id-1")).isEqualTo(ClaimOutcome.DUPLICATE);
	}

	@Test
	void failureReleasesTheClaimSoARedeliveryAcquiresItAgain() {
		DedupRecordInterceptor<String, String> interceptor = interceptor(MissingIdPolicy.OFFSET, InProgressPolicy.RETRY);
		ConsumerRecord<String, String> record = record(5, "id-1");

		interceptor.intercept(record, this.consumer);
		interceptor.failure(record, new IllegalStateException("boom"), this.consumer);
		interceptor.afterRecord(record, this.consumer);

		assertThat(this.stats.count(Event.RELEASED)).isEqualTo(1);
		assertThat(interceptor.intercept(record, this.consumer)).isSameAs(record);
		interceptor.success(record, this.consumer);
		assertThat(this.stats.count(Event.ACQUIRED)).isEqualTo(2);
		assertThat(this.stats.count(Event.COMPLETED)).isEqualTo(1);
		assertThat(claimAsOther("dedup:kafka:billing:id-1")).isEqualTo(ClaimOutcome.DUPLICATE);
	}

	@Test
	void inATransactionSuccessMarksTheRecordConsumedOnlyWhenTheTransactionCommits() {
		DedupRecordInterceptor<String, String> interceptor = interceptor(MissingIdPolicy.OFFSET, InProgressPolicy.RETRY);
		ConsumerRecord<String, String> record = record(5, "id-tx");
		TransactionSynchronizationManager.initSynchronization();
		try {
			interceptor.intercept(record, this.consumer);
			interceptor.success(record, this.consumer);
			assertThat(claimAsOther("dedup:kafka:billing:id-tx")).isEqualTo(ClaimOutcome.IN_PROGRESS);
			TransactionSynchronizationManager.getSynchronizations()
				.forEach(sync -> sync.afterCompletion(TransactionSynchronization.STATUS_COMMITTED));
		}
		finally {
			TransactionSynchronizationManager.clearSynchronization();
		}
		assertThat(claimAsOther("dedup:kafka:billing:id-tx")).isEqualTo(ClaimOutcome.DUPLICATE);
		assertThat(this.stats.count(Event.COMPLETED)).isEqualTo(1);
	}

	@Test
	void inATransactionThatRollsBackAfterSuccessTheClaimIsReleasedForTheRedelivery() {
		DedupRecordInterceptor<String, String> interceptor = interceptor(MissingIdPolicy.OFFSET, InProgressPolicy.RETRY);
		ConsumerRecord<String, String> record = record(5, "id-tx-rollback");
		TransactionSynchronizationManager.initSynchronization();
		try {
			interceptor.intercept(record, this.consumer);
			interceptor.success(record, this.consumer);
			// e.g. the Kafka commit of offsets and output failed after the listener returned
			TransactionSynchronizationManager.getSynchronizations()
				.forEach(sync -> sync.afterCompletion(TransactionSynchronization.STATUS_ROLLED_BACK));
		}
		finally {
			TransactionSynchronizationManager.clearSynchronization();
		}
		assertThat(this.stats.count(Event.COMPLETED)).isZero();
		assertThat(this.stats.count(Event.RELEASED)).isEqualTo(1);
		assertThat(claimAsOther("dedup:kafka:billing:id-tx-rollback")).isEqualTo(ClaimOutcome.ACQUIRED);
	}

	@Test
	void afterRecordWithoutSuccessOrFailureReleasesTheClaim() {
		DedupRecordInterceptor<String, String> interceptor = interceptor(MissingIdPolicy.OFFSET, InProgressPolicy.RETRY);
		ConsumerRecord<String, String> record = record(5, "id-1");

		interceptor.intercept(record, this.consumer);
		interceptor.afterRecord(record, this.consumer);

		assertThat(claimAsOther("dedup:kafka:billing:id-1")).isEqualTo(ClaimOutcome.ACQUIRED);
	}

	@Test
	void aLeftoverClaimIsReleasedByTheNextIntercept() {
		DedupRecordInterceptor<String, String> interceptor = interceptor(MissingIdPolicy.OFFSET, InProgressPolicy.RETRY);

		interceptor.intercept(record(5, "id-1"), this.consumer);
		interceptor.intercept(record(6, "id-2"), this.consumer);

		assertThat(claimAsOther("dedup:kafka:billing:id-1")).isEqualTo(ClaimOutcome.ACQUIRED);
		assertThat(claimAsOther("dedup:kafka:billing:id-2")).isEqualTo(ClaimOutcome.IN_PROGRESS);
	}

	@Test
	void clearThreadStateReleasesAnOpenClaim() {
		DedupRecordInterceptor<String, String> interceptor = interceptor(MissingIdPolicy.OFFSET, InProgressPolicy.RETRY);

		interceptor.intercept(record(5, "id-1"), this.consumer);
		interceptor.clearThreadState(this.consumer);

		assertThat(claimAsOther("dedup:kafka:billing:id-1")).isEqualTo(ClaimOutcome.ACQUIRED);
	}

	@Test
	void callbacksForAnotherRecordDoNotSettleTheOpenClaim() {
		DedupRecordInterceptor<String, String> interceptor = interceptor(MissingIdPolicy.OFFSET, InProgressPolicy.RETRY);
		ConsumerRecord<String, String> record = record(5, "id-1");
		interceptor.intercept(record, this.consumer);

		interceptor.success(record(6, "id-2"), this.consumer);
		interceptor.failure(record(6, "id-2"), new IllegalStateException(), this.consumer);
		assertThat(this.stats.count(Event.COMPLETED)).isZero();
		assertThat(this.stats.count(Event.RELEASED)).isZero();

		interceptor.success(record, this.consumer);
		assertThat(claimAsOther("dedup:kafka:billing:id-1")).isEqualTo(ClaimOutcome.DUPLICATE);
	}

	@Test
	void successWithoutInterceptCompletesNothing() {
		DedupRecordInterceptor<String, String> interceptor = interceptor(MissingIdPolicy.OFFSET, InProgressPolicy.RETRY);

		interceptor.success(record(5, "id-1"), this.consumer);
		interceptor.failure(record(5, "id-1"), new IllegalStateException(), this.consumer);
		interceptor.afterRecord(record(5, "id-1"), this.consumer);

		assertThat(this.store.size()).isZero();
		assertThat(this.stats.count(Event.COMPLETED)).isZero();
		assertThat(this.stats.count(Event.RELEASED)).isZero();
	}

	@Test
	void missingIdWithOffsetPolicyUsesTopicPartitionOffsetAsTheId() {
		DedupRecordInterceptor<String, String> interceptor = interceptor(MissingIdPolicy.OFFSET, InProgressPolicy.RETRY);
		ConsumerRecord<String, String> record = record(42, null);

		assertThat(interceptor.intercept(record, this.consumer)).isSameAs(record);
		interceptor.success(record, this.consumer);

		assertThat(claimAsOther("dedup:kafka:billing:offset%3Aorders-2-42")).isEqualTo(ClaimOutcome.DUPLICATE);
		assertThat(this.store.size()).isEqualTo(1);
		assertThat(this.stats.count(Event.MISSING_ID_OFFSET)).isEqualTo(1);
		assertThat(this.stats.count(Event.ACQUIRED)).isEqualTo(1);
		assertThat(interceptor.intercept(record(42, null), this.consumer)).isNull();
	}

	@Test
	void emptyIdCountsAsMissing() {
		DedupRecordInterceptor<String, String> interceptor = interceptor(MissingIdPolicy.OFFSET, InProgressPolicy.RETRY);

		interceptor.intercept(record(7, ""), this.consumer);

		assertThat(claimAsOther("dedup:kafka:billing:offset%3Aorders-2-7")).isEqualTo(ClaimOutcome.IN_PROGRESS);
		assertThat(this.stats.count(Event.MISSING_ID_OFFSET)).isEqualTo(1);
	}

	@Test
	void missingIdWithRejectPolicyThrowsAndClaimsNothing() {
		DedupRecordInterceptor<String, String> interceptor = interceptor(MissingIdPolicy.REJECT, InProgressPolicy.RETRY);

		assertThatExceptionOfType(InvalidMessageIdException.class)
			.isThrownBy(() -> interceptor.intercept(record(42, null), this.consumer))
			.withMessageContaining("orders-2@42")
			.withMessageContaining("missing-id=reject");

		assertThat(this.store.size()).isZero();
		assertThat(this.stats.count(Event.MISSING_ID_REJECTED)).isEqualTo(1);
		assertThat(this.stats.count(Event.ACQUIRED)).isZero();
	}

	@Test
	void missingIdWithSkipPolicyRunsUnprotected() {
		DedupRecordInterceptor<String, String> interceptor = interceptor(MissingIdPolicy.SKIP, InProgressPolicy.RETRY);
		ConsumerRecord<String, String> record = record(42, null);

		assertThat(interceptor.intercept(record, this.consumer)).isSameAs(record);
		interceptor.success(record, this.consumer);

		assertThat(this.store.size()).isZero();
		assertThat(this.stats.count(Event.MISSING_ID_BYPASSED)).isEqualTo(1);
		assertThat(this.stats.count(Event.ACQUIRED)).isZero();
		assertThat(this.stats.count(Event.COMPLETED)).isZero();
		assertThat(interceptor.intercept(record(42, null), this.consumer)).isNotNull();
	}

	@Test
	void idWithControlCharactersFollowsTheOffsetPolicy() {
		DedupRecordInterceptor<String, String> interceptor = interceptor(MissingIdPolicy.OFFSET, InProgressPolicy.RETRY);

		assertThat(interceptor.intercept(record(8, "evil\r\nid"), this.consumer)).isNotNull();

		assertThat(claimAsOther("dedup:kafka:billing:offset%3Aorders-2-8")).isEqualTo(ClaimOutcome.IN_PROGRESS);
		assertThat(this.stats.count(Event.MISSING_ID_OFFSET)).isEqualTo(1);
	}

	@Test
	void idWithControlCharactersFollowsTheRejectPolicy() {
		DedupRecordInterceptor<String, String> interceptor = interceptor(MissingIdPolicy.REJECT, InProgressPolicy.RETRY);

		assertThatExceptionOfType(InvalidMessageIdException.class)
			.isThrownBy(() -> interceptor.intercept(record(8, "nul\u0000id"), this.consumer))
			.withMessageContaining("control character");
		assertThat(this.store.size()).isZero();
		assertThat(this.stats.count(Event.MISSING_ID_REJECTED)).isEqualTo(1);
	}

	@Test
	void idWithControlCharactersFollowsTheSkipPolicy() {
		DedupRecordInterceptor<String, String> interceptor = interceptor(MissingIdPolicy.UNPROTECTED, InProgressPolicy.RETRY);
		ConsumerRecord<String, String> record = record(8, "tab\tid");

		assertThat(interceptor.intercept(record, this.consumer)).isSameAs(record);
		assertThat(this.store.size()).isZero();
		assertThat(this.stats.count(Event.MISSING_ID_BYPASSED)).isEqualTo(1);
	}

	@Test
	void tenKilobyteIdIsHashedIntoTheKey() throws Exception {
		DedupRecordInterceptor<String, String> interceptor = interceptor(MissingIdPolicy.REJECT, InProgressPolicy.RETRY);
		String id = "x".repeat(10 * 1024);
		ConsumerRecord<String, String> record = record(5, id);

		assertThat(interceptor.intercept(record, this.consumer)).isSameAs(record);
		interceptor.success(record, this.consumer);

		// Too long: {prefix}:kafka keeps, the rest (":group:id") is hashed.
		String hash = HexFormat.of()
			.formatHex(MessageDigest.getInstance("SHA-256").digest((":billing:" + id).getBytes(StandardCharsets.UTF_8)));
		assertThat(claimAsOther("dedup:kafka:sha256:" + hash)).isEqualTo(ClaimOutcome.DUPLICATE);
		assertThat(interceptor.intercept(record(6, id), this.consumer)).isNull();
		assertThat(interceptor.intercept(record(7, id + "y"), this.consumer)).isNotNull();
	}

	@Test
	void storeDownWithFailClosedAsksForARetryAndRunsNothing() {
		DedupRecordInterceptor<String, String> interceptor = interceptor(new BrokenStore(),
				StoreFailurePolicy.FAIL_CLOSED, MissingIdPolicy.OFFSET, InProgressPolicy.RETRY);

		assertThatExceptionOfType(DedupRetryLaterException.class)
			.isThrownBy(() -> interceptor.intercept(record(5, "id-1"), this.consumer))
			.satisfies(ex -> {
				assertThat(ex.retryAfter()).isPositive();
				assertThat(ex.getCause()).isInstanceOf(DedupStoreException.class);
			});
		assertThat(this.stats.count(Event.STORE_UNAVAILABLE_RETRIED)).isEqualTo(1);
		assertThat(this.stats.count(Event.STORE_UNAVAILABLE_BYPASSED)).isZero();
	}

	@Test
	void storeDownWithFailOpenRunsTheRecordUnprotected() {
		DedupRecordInterceptor<String, String> interceptor = interceptor(new BrokenStore(),
				StoreFailurePolicy.FAIL_OPEN, MissingIdPolicy.OFFSET, InProgressPolicy.RETRY);
		ConsumerRecord<String, String> record = record(5, "id-1");

		assertThat(interceptor.intercept(record, this.consumer)).isSameAs(record);
		interceptor.success(record, this.consumer); // must not touch the broken store

		assertThat(this.stats.count(Event.STORE_UNAVAILABLE_BYPASSED)).isEqualTo(1);
		assertThat(this.stats.count(Event.ACQUIRED)).isZero();
		assertThat(this.stats.count(Event.COMPLETED)).isZero();
		assertThat(this.stats.count(Event.COMPLETE_FAILED)).isZero();
	}

	@Test
	void storeFailingOnCompleteIsCountedAndDoesNotThrow() {
		FlakyStore flaky = new FlakyStore();
		DedupRecordInterceptor<String, String> interceptor = interceptor(flaky, StoreFailurePolicy.FAIL_CLOSED,
				MissingIdPolicy.OFFSET, InProgressPolicy.RETRY);
		ConsumerRecord<String, String> record = record(5, "id-1");
		interceptor.intercept(record, this.consumer);
		flaky.down = true;

		interceptor.success(record, this.consumer);

		assertThat(this.stats.count(Event.COMPLETE_FAILED)).isEqualTo(1);
		assertThat(this.stats.count(Event.COMPLETED)).isZero();
	}

	@Test
	void inProgressWithSkipPolicyReturnsNull() {
		DedupRecordInterceptor<String, String> interceptor = interceptor(MissingIdPolicy.OFFSET, InProgressPolicy.SKIP);
		this.store.claim("dedup:kafka:billing:id-1", "other-owner", LEASE);
		ConsumerRecord<String, String> record = record(5, "id-1");

		assertThat(interceptor.intercept(record, this.consumer)).isNull();
		interceptor.success(record, this.consumer);
		interceptor.afterRecord(record, this.consumer);

		assertThat(this.stats.count(Event.IN_PROGRESS_SKIPPED)).isEqualTo(1);
		assertThat(this.stats.count(Event.COMPLETED)).isZero();
		assertThat(this.store.complete("dedup:kafka:billing:id-1", "other-owner", LEASE, null)).isTrue();
	}

	@Test
	void inProgressWithRetryPolicyAsksForARetryBoundedByTheOtherLease() {
		DedupRecordInterceptor<String, String> interceptor = interceptor(MissingIdPolicy.OFFSET, InProgressPolicy.RETRY);
		this.store.claim("dedup:kafka:billing:short", "other-owner", Duration.ofSeconds(2));
		this.store.claim("dedup:kafka:billing:long", "other-owner", Duration.ofMinutes(10));

		assertThatExceptionOfType(DedupRetryLaterException.class)
			.isThrownBy(() -> interceptor.intercept(record(5, "short"), this.consumer))
			.satisfies(ex -> assertThat(ex.retryAfter()).isBetween(Duration.ofMillis(1000), Duration.ofSeconds(2)));
		assertThatExceptionOfType(DedupRetryLaterException.class)
			.isThrownBy(() -> interceptor.intercept(record(6, "long"), this.consumer))
			.satisfies(ex -> assertThat(ex.retryAfter()).isEqualTo(Duration.ofSeconds(5)));
		// Claimed just before its record comes up: a lease shorter than the 100 ms minimum wait, still held.
		this.store.claim("dedup:kafka:billing:tiny", "other-owner", Duration.ofMillis(80));
		assertThatExceptionOfType(DedupRetryLaterException.class)
			.isThrownBy(() -> interceptor.intercept(record(7, "tiny"), this.consumer))
			.satisfies(ex -> assertThat(ex.retryAfter()).isEqualTo(Duration.ofMillis(100)));
		assertThat(this.stats.count(Event.IN_PROGRESS_RETRIED)).isEqualTo(3);
	}

	@Test
	void failureOfARecordThisConsumerDidNotAcquireReleasesNothing() {
		DedupRecordInterceptor<String, String> interceptor = interceptor(MissingIdPolicy.OFFSET, InProgressPolicy.RETRY);
		this.store.claim("dedup:kafka:billing:id-1", "other-owner", LEASE);
		ConsumerRecord<String, String> record = record(5, "id-1");

		assertThatExceptionOfType(DedupRetryLaterException.class)
			.isThrownBy(() -> interceptor.intercept(record, this.consumer));
		interceptor.failure(record, new DedupRetryLaterException("wait", Duration.ofMillis(1), null), this.consumer);
		interceptor.afterRecord(record, this.consumer);

		assertThat(this.stats.count(Event.RELEASED)).isZero();
		assertThat(claimAsOther("dedup:kafka:billing:id-1")).isEqualTo(ClaimOutcome.IN_PROGRESS);
	}

	@Test
	void withoutAGroupTheScopeIsADash() {
		KafkaUtils.clearConsumerGroupId();
		DedupRecordInterceptor<String, String> interceptor = interceptor(MissingIdPolicy.OFFSET, InProgressPolicy.RETRY);

		interceptor.intercept(record(5, "id-1"), this.consumer);
		interceptor.intercept(record(6, null), this.consumer);

		assertThat(claimAsOther("dedup:kafka:-:id-1")).isEqualTo(ClaimOutcome.ACQUIRED); // released by the next intercept
		assertThat(claimAsOther("dedup:kafka:-:offset%3Aorders-2-6")).isEqualTo(ClaimOutcome.IN_PROGRESS);
	}

	@Test
	void groupsAreKeptApart() {
		DedupRecordInterceptor<String, String> interceptor = interceptor(MissingIdPolicy.OFFSET, InProgressPolicy.RETRY);
		ConsumerRecord<String, String> record = record(5, "id-1");
		interceptor.intercept(record, this.consumer);
		interceptor.success(record, this.consumer);

		KafkaUtils.setConsumerGroupId("shipping");
		assertThat(interceptor.intercept(record(5, "id-1"), this.consumer)).isNotNull();
		assertThat(claimAsOther("dedup:kafka:shipping:id-1")).isEqualTo(ClaimOutcome.IN_PROGRESS);
	}

	@Test
	void settingsAreResolvedByGroupAndTopic() {
		this.engine = new DedupEngine(this.store);
		ListenerDedupSettings skip = settings(MissingIdPolicy.SKIP, InProgressPolicy.RETRY);
		ListenerDedupSettings reject = settings(MissingIdPolicy.REJECT, InProgressPolicy.RETRY);
		String[] asked = new String[2];
		DedupRecordInterceptor<String, String> interceptor = new DedupRecordInterceptor<>(this.engine,
				new DedupKeys("dedup", this.store.maxKeyLength()), (group, topic) -> {
					asked[0] = group;
					asked[1] = topic;
					return "orders".equals(topic) ? skip : reject;
				}, this.stats);

		assertThat(interceptor.intercept(record(5, null), this.consumer)).isNotNull();
		assertThat(asked).containsExactly(GROUP, "orders");
		assertThatExceptionOfType(InvalidMessageIdException.class).isThrownBy(() -> interceptor
			.intercept(new ConsumerRecord<>("payments", 0, 1, "k", "v"), this.consumer));
	}

	@Test
	void statsListOnlyEventsThatHappened() {
		DedupRecordInterceptor<String, String> interceptor = interceptor(MissingIdPolicy.OFFSET, InProgressPolicy.RETRY);
		ConsumerRecord<String, String> record = record(5, "id-1");
		interceptor.intercept(record, this.consumer);
		interceptor.success(record, this.consumer);
		interceptor.intercept(record, this.consumer);

		assertThat(interceptor.stats()).isSameAs(this.stats);
		assertThat(this.stats).hasToString("DedupKafkaStats{acquired=1, duplicate=1, completed=1}");
	}

	private ClaimOutcome claimAsOther(String key) {
		return this.store.claim(key, "probe-" + System.nanoTime(), LEASE).outcome();
	}

	private DedupRecordInterceptor<String, String> interceptor(MissingIdPolicy missingId,
			InProgressPolicy onInProgress) {
		return interceptor(this.store, StoreFailurePolicy.FAIL_CLOSED, missingId, onInProgress);
	}

	private DedupRecordInterceptor<String, String> interceptor(DedupStore store, StoreFailurePolicy policy,
			MissingIdPolicy missingId, InProgressPolicy onInProgress) {
		this.engine = new DedupEngine(store, DedupEngineConfig.custom().storeFailurePolicy(policy).build());
		return new DedupRecordInterceptor<>(this.engine, new DedupKeys("dedup", store.maxKeyLength()),
				ListenerSettingsResolver.fixed(settings(missingId, onInProgress)), this.stats);
	}

	private static ListenerDedupSettings settings(MissingIdPolicy missingId, InProgressPolicy onInProgress) {
		return new ListenerDedupSettings(new HeaderMessageIdResolver("dedup-id"), missingId, LEASE,
				Duration.ofDays(1), onInProgress);
	}

	private static ConsumerRecord<String, String> record(long offset, @Nullable String id) {
		RecordHeaders headers = new RecordHeaders();
		if (id != null) {
			headers.add(new RecordHeader("dedup-id", id.getBytes(StandardCharsets.UTF_8)));
		}
		return new ConsumerRecord<>("orders", 2, offset, 0L, TimestampType.CREATE_TIME, -1, -1, "key", "value",
				headers, Optional.empty());
	}

	/** A store whose server is down. */
	private static final class BrokenStore implements DedupStore {

		@Override
		public ClaimResult claim(String key, String owner, Duration lease) {
			throw new DedupStoreException("connection refused");
		}

		@Override
		public boolean complete(String key, String owner, Duration retention, byte @Nullable [] result) {
			throw new DedupStoreException("connection refused");
		}

		@Override
		public boolean release(String key, String owner) {
			throw new DedupStoreException("connection refused");
		}

		@Override
		public boolean renew(String key, String owner, Duration lease) {
			throw new DedupStoreException("connection refused");
		}

		@Override
		public Optional<StoredEntry> inspect(String key) {
			throw new DedupStoreException("connection refused");
		}

	}

	/** The real in-memory store, behind a switch that takes it down. */
	private static final class FlakyStore implements DedupStore {

		private final InMemoryDedupStore delegate = new InMemoryDedupStore();

		volatile boolean down;

		@Override
		public ClaimResult claim(String key, String owner, Duration lease) {
			check();
			return this.delegate.claim(key, owner, lease);
		}

		@Override
		public boolean complete(String key, String owner, Duration retention, byte @Nullable [] result) {
			check();
			return this.delegate.complete(key, owner, retention, result);
		}

		@Override
		public boolean release(String key, String owner) {
			check();
			return this.delegate.release(key, owner);
		}

		@Override
		public boolean renew(String key, String owner, Duration lease) {
			check();
			return this.delegate.renew(key, owner, lease);
		}

		@Override
		public Optional<StoredEntry> inspect(String key) {
			check();
			return this.delegate.inspect(key);
		}

		private void check() {
			if (this.down) {
				throw new DedupStoreException("connection refused");
			}
		}

	}

}
