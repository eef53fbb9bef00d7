package dev.dedup.redis;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import dev.dedup.core.store.ClaimResult;
import dev.dedup.core.store.DedupStoreException;
import dev.dedup.test.services.PrivateRedisServer;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import static dev.dedup.core.store.ClaimOutcome.ACQUIRED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * The store's own deadline, not the client's: Lettuce keeps its default 60 s command timeout here, the store
 * times out after 500 ms. A private redis-server is frozen (SIGSTOP: a hang, connections stay open) or
 * killed (SIGKILL: Lettuce reconnects and buffers commands meanwhile).
 */
class RedisDedupStoreDeadlineTests {

	private static final Duration LETTUCE_DEFAULT_TIMEOUT = Duration.ofSeconds(60);

	private static final Duration STORE_TIMEOUT = Duration.ofMillis(500);

	private static final Duration LEASE = Duration.ofSeconds(30);

	private PrivateRedisServer redis;

	private ClientResources resources;

	private LettuceConnectionFactory factory;

	private RedisDedupStore store;

	@BeforeEach
	void startRedis() {
		this.redis = new PrivateRedisServer();
		this.resources = ClientResources.builder().reconnectDelay(Delay.constant(Duration.ofMillis(100))).build();
		this.factory = LettuceFactories.start(this.redis.url(), LETTUCE_DEFAULT_TIMEOUT, this.resources);
		this.store = new RedisDedupStore(this.factory, STORE_TIMEOUT);
		assertThat(this.store.claim(key(), "a", LEASE).outcome()).isEqualTo(ACQUIRED);
	}

	@AfterEach
	void stopRedis() {
		this.factory.destroy();
		this.resources.shutdown();
		this.redis.close();
	}

	@Test
	void aFrozenRedisCostsEachStepTheStoreTimeoutAndWorksAgainOnceThawed() {
		String held = key();
		assertThat(this.store.claim(held, "a", LEASE).outcome()).isEqualTo(ACQUIRED);

		this.redis.freeze();
		String claimedWhileFrozen = key();
		List<String> batchClaimedWhileFrozen = List.of(key(), key());
		assertFailsWithinTheDeadline(() -> this.store.claim(claimedWhileFrozen, "a", LEASE));
		assertFailsWithinTheDeadline(() -> this.store.claimAll(batchClaimedWhileFrozen, "a", LEASE));
		assertFailsWithinTheDeadline(() -> this.store.complete(held, "a", LEASE, null));
		assertFailsWithinTheDeadline(() -> this.store.release(held, "a"));
		assertFailsWithinTheDeadline(() -> this.store.renew(held, "a", LEASE));
		assertFailsWithinTheDeadline(() -> this.store.inspect(held));
		// A batch gets one deadline in all, not one per key.
		assertFailsWithinTheDeadline(() -> this.store.claimAll(List.of(key(), key(), key(), key()), "a", LEASE));
		assertFailsWithinTheDeadline(() -> this.store.completeAll(List.of(held, key()), "a", LEASE));

		this.redis.thaw();
		awaitWorking();
		// The server ran the timed-out claims when it woke up, and the releases sent after them: a retry
		// finds the keys free at once instead of waiting out a lease nobody works on.
		assertThat(this.store.claim(claimedWhileFrozen, "b", LEASE).outcome()).isEqualTo(ACQUIRED);
		assertThat(this.store.claimAll(batchClaimedWhileFrozen, "b", LEASE)).extracting(ClaimResult::outcome)
			.containsOnly(ACQUIRED);
	}

	/** A poll's claim and its one-write mark (a poll's row, on one server) have the same deadline. */
	@Test
	void aFrozenRedisCostsAPollsClaimAndMarkTheStoreTimeoutAndAPollClaimedMeanwhileIsGivenBack() {
		List<String> held = List.of(key(), key());
		assertThat(this.store.completesPollsInOneWrite()).isTrue();
		assertThat(this.store.claimPoll(held, "poll-a", LEASE, LEASE)).extracting(ClaimResult::outcome)
			.containsOnly(ACQUIRED);

		this.redis.freeze();
		List<String> claimedWhileFrozen = List.of(key(), key(), key());
		assertFailsWithinTheDeadline(() -> this.store.claimPoll(claimedWhileFrozen, "poll-b", LEASE, LEASE));
		assertFailsWithinTheDeadline(() -> this.store.completePoll(held, "poll-a", LEASE));

		this.redis.thaw();
		awaitWorking();
		assertThat(this.store.claimAll(claimedWhileFrozen, "c", LEASE)).extracting(ClaimResult::outcome)
			.containsOnly(ACQUIRED);
		// The timed-out mark may have run when the server woke up, or not: the poll's keys are held or
		// consumed either way, never free.
		assertThat(this.store.claimAll(held, "c", LEASE)).extracting(ClaimResult::outcome)
			.doesNotContain(ACQUIRED);
	}

	@Test
	void aKilledRedisCostsEachStepAtMostTheStoreTimeoutAndWorksAgainOnceRestartedWithItsData() {
		String held = key();
		assertThat(this.store.claim(held, "a", LEASE).outcome()).isEqualTo(ACQUIRED);

		this.redis.kill();
		assertFailsWithinTheDeadline(() -> this.store.claim(key(), "a", LEASE));
		assertFailsWithinTheDeadline(() -> this.store.claimAll(List.of(key(), key()), "a", LEASE));
		assertFailsWithinTheDeadline(() -> this.store.renew(held, "a", LEASE));

		this.redis.start();
		awaitWorking();
		assertThat(this.store.complete(held, "a", LEASE, null)).as("the restarted server kept the claim").isTrue();
	}

	private static void assertFailsWithinTheDeadline(ThrowingCallable step) {
		long start = System.nanoTime();
		// Preemptive, so a step that hangs fails the test instead of stalling the build.
		assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThatExceptionOfType(DedupStoreException.class)
			.isThrownBy(step)
			.withMessageStartingWith("Redis dedup store could not"));
		Duration took = Duration.ofNanos(System.nanoTime() - start);
		assertThat(took).as("time to fail").isLessThan(STORE_TIMEOUT.plusSeconds(1));
	}

	private void awaitWorking() {
		await("the store to work again").atMost(Duration.ofSeconds(20))
			.pollInterval(Duration.ofMillis(100))
			.ignoreException(DedupStoreException.class)
			.until(() -> !this.store.renew(key(), "probe", LEASE));
	}

	private static String key() {
		return "dedup-deadline:" + UUID.randomUUID();
	}

}
