package dev.dedup.redis;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import dev.dedup.core.actuate.DedupHealthIndicator;
import dev.dedup.core.store.ClaimResult;
import dev.dedup.core.store.DedupStoreException;
import dev.dedup.test.services.PrivateRedisServer;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import static dev.dedup.core.store.ClaimOutcome.ACQUIRED;
import static dev.dedup.core.store.ClaimOutcome.DUPLICATE;
import static dev.dedup.core.store.ClaimOutcome.IN_PROGRESS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Redis down, then back, on a private server (never the shared one). Each test runs on both paths: Lettuce's
 * async API ({@code lettuce = true}) and Spring's driver-neutral connection API.
 */
class RedisDedupStoreFaultTests {

	/** The client's connect and command timeout. */
	private static final Duration TIMEOUT = Duration.ofSeconds(1);

	/** A failing step must give up within this, well above the timeout. */
	private static final Duration BOUND = TIMEOUT.multipliedBy(5);

	private static final Duration LEASE = Duration.ofSeconds(30);

	private PrivateRedisServer redis;

	private ClientResources resources;

	private LettuceConnectionFactory factory;

	@BeforeEach
	void startRedis() {
		this.redis = new PrivateRedisServer();
		// Reconnect quickly once the server is back, instead of Lettuce's exponential back-off up to 30 s.
		this.resources = ClientResources.builder().reconnectDelay(Delay.constant(Duration.ofMillis(100))).build();
		this.factory = LettuceFactories.start(this.redis.url(), TIMEOUT, this.resources);
	}

	@AfterEach
	void stopRedis() {
		this.factory.destroy();
		this.resources.shutdown();
		this.redis.close();
	}

	@ParameterizedTest(name = "lettuce={0}")
	@ValueSource(booleans = { true, false })
	void healthIsDownWithTheErrorWhileRedisIsDownOrFrozenAndUpOnceItIsBack(boolean lettuce) {
		DedupHealthIndicator health = new DedupHealthIndicator(
				new RedisDedupStore(this.factory, RedisDedupStore.DEFAULT_TIMEOUT, lettuce));
		assertThat(health.health(true).getStatus()).isEqualTo(Status.UP);

		this.redis.freeze();
		Health frozen = assertTimeoutPreemptively(BOUND, () -> health.health(true));
		assertThat(frozen.getStatus()).isEqualTo(Status.DOWN);
		assertThat(String.valueOf(frozen.getDetails().get("error"))).contains("Redis dedup store could not ping");
		this.redis.thaw();
		await().atMost(BOUND).until(() -> health.health(true).getStatus().equals(Status.UP));

		this.redis.stop();
		assertThat(assertTimeoutPreemptively(BOUND, () -> health.health(true)).getStatus()).isEqualTo(Status.DOWN);
		this.redis.start();
		await().atMost(BOUND.multipliedBy(2)).until(() -> health.health(true).getStatus().equals(Status.UP));
	}

	@ParameterizedTest(name = "lettuce={0}")
	@ValueSource(booleans = { true, false })
	void everyStepFailsWithDedupStoreExceptionWhileRedisIsDownAndTheSameStoreWorksOnceItIsBack(boolean lettuce) {
		RedisDedupStore store = new RedisDedupStore(this.factory, RedisDedupStore.DEFAULT_TIMEOUT, lettuce);
		String key = key();
		assertThat(store.claim(key, "a", LEASE).outcome()).isEqualTo(ACQUIRED);

		this.redis.stop();
		assertFailsInTime(() -> store.claim(key, "a", LEASE));
		assertFailsInTime(() -> store.complete(key, "a", LEASE, new byte[] { 1 }));
		assertFailsInTime(() -> store.release(key, "a"));
		assertFailsInTime(() -> store.renew(key, "a", LEASE));
		assertFailsInTime(() -> store.claimAll(List.of(key, key()), "a", LEASE));
		assertFailsInTime(() -> store.completeAll(List.of(key, key()), "a", LEASE));
		assertFailsInTime(() -> store.evict(key));
		assertFailsInTime(store::ping);

		this.redis.start();
		awaitWorking(store);
		// The restarted server kept its data (append-only file) but lost its script cache, as any Redis
		// does: this also covers the NOSCRIPT fallbacks. The claim made before the outage still holds.
		String other = key();
		List<ClaimResult> afterRestart = store.claimAll(List.of(key, other), "b", LEASE);
		assertThat(afterRestart.get(0).outcome()).isEqualTo(IN_PROGRESS);
		assertThat(afterRestart.get(1)).isEqualTo(ClaimResult.acquired());
		assertThat(store.complete(key, "a", LEASE, new byte[] { 7 })).isTrue();
		assertThat(store.completeAll(List.of(other), "b", LEASE)).containsExactly(true);
		assertThat(store.claim(key, "c", LEASE)).isEqualTo(ClaimResult.duplicate(new byte[] { 7 }));
	}

	@ParameterizedTest(name = "lettuce={0}")
	@ValueSource(booleans = { true, false })
	void storeCreatedWhileRedisIsDownFailsUntilRedisStarts(boolean lettuce) {
		this.redis.stop();
		RedisDedupStore store = new RedisDedupStore(this.factory, RedisDedupStore.DEFAULT_TIMEOUT, lettuce);
		assertFailsInTime(() -> store.claim(key(), "a", LEASE));
		assertFailsInTime(() -> store.claimAll(List.of(key()), "a", LEASE));

		this.redis.start();
		awaitWorking(store);
		assertThat(store.claim(key(), "a", LEASE).outcome()).isEqualTo(ACQUIRED);
	}

	@ParameterizedTest(name = "lettuce={0}")
	@ValueSource(booleans = { true, false })
	void scriptsAreSentAgainWhenTheServerForgotThem(boolean lettuce) {
		RedisDedupStore store = new RedisDedupStore(this.factory, RedisDedupStore.DEFAULT_TIMEOUT, lettuce);
		String key = key();
		String other = key();
		assertThat(store.claimAll(List.of(key, other), "a", LEASE)).containsOnly(ClaimResult.acquired());
		assertThat(store.renew(key, "a", LEASE)).isTrue();

		flushScripts();
		assertThat(store.claimAll(List.of(key, other, key()), "b", LEASE)).extracting(ClaimResult::outcome)
			.containsExactly(IN_PROGRESS, IN_PROGRESS, ACQUIRED);
		flushScripts();
		assertThat(store.renew(key, "a", LEASE)).isTrue();
		assertThat(store.completeAll(List.of(key, other), "a", LEASE)).containsExactly(true, true);
		flushScripts();
		assertThat(store.claim(key, "b", LEASE).outcome()).isEqualTo(DUPLICATE);
		String released = key();
		store.claim(released, "a", LEASE);
		flushScripts();
		assertThat(store.release(released, "a")).isTrue();
		flushScripts();
		store.claim(released, "a", LEASE);
		assertThat(store.complete(released, "a", LEASE, null)).isTrue();
	}

	private void flushScripts() {
		try (RedisConnection connection = this.factory.getConnection()) {
			connection.scriptingCommands().scriptFlush();
		}
	}

	private static void assertFailsInTime(ThrowingCallable step) {
		assertTimeoutPreemptively(BOUND,
				() -> assertThatExceptionOfType(DedupStoreException.class).isThrownBy(step)
					.withMessageStartingWith("Redis dedup store could not")
					.withCauseInstanceOf(Exception.class));
	}

	private static void awaitWorking(RedisDedupStore store) {
		await("the store to work again").atMost(Duration.ofSeconds(20))
			.pollInterval(Duration.ofMillis(100))
			.ignoreException(DedupStoreException.class)
			.until(() -> !store.renew(key(), "probe", LEASE));
	}

	private static String key() {
		return "dedup-fault:" + UUID.randomUUID();
	}

}
