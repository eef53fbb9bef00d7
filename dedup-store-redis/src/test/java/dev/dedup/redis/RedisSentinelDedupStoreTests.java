package dev.dedup.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.dedup.core.store.ClaimOutcome;
import dev.dedup.core.store.ClaimResult;
import dev.dedup.core.store.DedupStore;
import dev.dedup.core.store.DedupStoreException;
import dev.dedup.core.store.StoredEntry;
import dev.dedup.test.DedupStoreContractTests;
import dev.dedup.test.services.PrivateRedisSentinel;
import dev.dedup.test.services.PrivateRedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The store contract through Redis Sentinel ({@link PrivateRedisSentinel}: a master, a replica, a Sentinel),
 * with Lettuce finding the master by its name: once as it is, and once with each mark waiting for the
 * replica ({@code WAIT}). What survives a failover: {@link RedisSentinelFailoverTests}.
 */
class RedisSentinelDedupStoreTests extends DedupStoreContractTests {

	private static final Duration WAIT_TIMEOUT = Duration.ofMillis(500);

	private static PrivateRedisSentinel redis;

	private static LettuceConnectionFactory factory;

	private static RedisDedupStore store;

	/** The same connection, but each mark waits for the replica. */
	private static RedisDedupStore waiting;

	@BeforeAll
	static void connect() {
		redis = new PrivateRedisSentinel();
		try {
			factory = SentinelFactories.start(redis, null);
			store = new RedisDedupStore(factory);
			waiting = new RedisDedupStore(factory, RedisDedupStore.DEFAULT_TIMEOUT, 1, WAIT_TIMEOUT);
		}
		catch (RuntimeException | Error ex) {
			disconnect();
			throw ex;
		}
	}

	@AfterAll
	static void disconnect() {
		if (factory != null) {
			factory.destroy();
		}
		if (redis != null) {
			redis.close();
		}
	}

	@Override
	protected DedupStore store() {
		return store;
	}

	@Test
	void aMarkThatWaitedIsOnTheReplicaWhenItReturns() {
		List<String> keys = new ArrayList<>();
		for (int i = 0; i < 50; i++) {
			keys.add(key("replicated-" + i));
		}
		assertThat(waiting.claimAll(keys, "owner-a", longLease())).extracting(ClaimResult::outcome)
			.containsOnly(ClaimOutcome.ACQUIRED);
		assertThat(waiting.completeAll(keys, "owner-a", longLease())).containsOnly(true);
		String single = key("replicated-single");
		assertThat(waiting.claim(single, "owner-a", longLease()).outcome()).isEqualTo(ClaimOutcome.ACQUIRED);
		assertThat(waiting.complete(single, "owner-a", longLease(), "result".getBytes(StandardCharsets.UTF_8))).isTrue();

		// Read the replica directly, with no delay: WAIT returned, so it has them.
		PrivateRedisServer replica = redis.replica();
		LettuceConnectionFactory direct = LettuceFactories.start(replica.url(), Duration.ofSeconds(5));
		try (RedisConnection connection = direct.getConnection()) {
			for (String key : keys) {
				assertThat(connection.stringCommands().get(key.getBytes(StandardCharsets.UTF_8))).as(key)
					.isEqualTo("\0D".getBytes(StandardCharsets.UTF_8));
			}
			assertThat(connection.stringCommands().get(single.getBytes(StandardCharsets.UTF_8)))
				.isEqualTo("\0Rresult".getBytes(StandardCharsets.UTF_8));
		}
		finally {
			direct.destroy();
		}
	}

	@Test
	void aMarkTheReplicaDoesNotAcknowledgeFailsButStaysOnTheMaster() {
		String key = key("unreplicated");
		List<String> batch = List.of(key("unreplicated-a"), key("unreplicated-b"));
		String unclaimed = key("unclaimed");
		assertThat(waiting.claim(key, "owner-a", longLease()).outcome()).isEqualTo(ClaimOutcome.ACQUIRED);
		assertThat(waiting.claimAll(batch, "owner-a", longLease())).extracting(ClaimResult::outcome)
			.containsOnly(ClaimOutcome.ACQUIRED);
		PrivateRedisServer replica = redis.replica();
		replica.freeze();
		try {
			assertThatExceptionOfType(DedupStoreException.class)
				.isThrownBy(() -> waiting.complete(key, "owner-a", longLease(), null))
				.withMessageContaining("could not complete '" + key + "' durably")
				.withMessageContaining("only 0 of the 1 replicas required acknowledged within 500 ms");
			assertThatExceptionOfType(DedupStoreException.class)
				.isThrownBy(() -> waiting.completeAll(batch, "owner-a", longLease()))
				.withMessageContaining("the master has 2 marks");
			// A mark that changes nothing has nothing to wait for.
			assertThat(waiting.complete(unclaimed, "owner-a", longLease(), null)).isFalse();
		}
		finally {
			replica.thaw();
		}
		// Not durable, but written: the master answers CONSUMED, and a retried mark finds nothing to complete.
		assertThat(store.inspect(key)).get().extracting(StoredEntry::state).isEqualTo(StoredEntry.State.CONSUMED);
		assertThat(store.complete(key, "owner-a", longLease(), null)).isFalse();
		assertThat(store.claimAll(batch, "owner-b", longLease())).extracting(ClaimResult::outcome)
			.containsOnly(ClaimOutcome.DUPLICATE);
	}

	/** The whole contract again, each mark followed by a WAIT for the replica. */
	@Nested
	class WithMarksWaitingForTheReplica extends DedupStoreContractTests {

		@Override
		protected DedupStore store() {
			return waiting;
		}

	}

}
