package dev.dedup.redis;

import java.time.Duration;
import java.util.List;

import dev.dedup.test.services.Ports;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.RedisClusterConfiguration;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Which factories and durations the {@code waitForReplicas} option takes; none of these connect. What it
 * does on real servers: {@link RedisSentinelDedupStoreTests}, {@link RedisSentinelFailoverTests}.
 */
class RedisDedupStoreReplicaWaitOptionTests {

	private static final Duration TIMEOUT = Duration.ofSeconds(2);

	private final LettuceConnectionFactory standalone = new LettuceConnectionFactory(
			new RedisStandaloneConfiguration("127.0.0.1", Ports.freePort()));

	@Test
	void zeroReplicasIsTheStoreWithoutWaiting() {
		RedisDedupStore store = new RedisDedupStore(this.standalone, TIMEOUT, 0, Duration.ZERO);
		assertThat(store).hasToString("RedisDedupStore[LettuceConnectionFactory]");
	}

	@Test
	void aSharedLettuceConnectionToOneMasterCanWait() {
		RedisDedupStore store = new RedisDedupStore(this.standalone, TIMEOUT, 1, Duration.ofMillis(500));
		assertThat(store).hasToString("RedisDedupStore[LettuceConnectionFactory, marks wait for 1 replica (WAIT 500 ms)]");
	}

	@Test
	void theWaitMustEndBeforeTheStoreTimeout() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> new RedisDedupStore(this.standalone, TIMEOUT, 1, TIMEOUT))
			.withMessageContaining("shorter than the store timeout of 2000ms");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> new RedisDedupStore(this.standalone, TIMEOUT, 1, Duration.ZERO))
			.withMessageContaining("at least 1ms");
	}

	@Test
	void negativeReplicasAreRefused() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> new RedisDedupStore(this.standalone, TIMEOUT, -1, Duration.ofMillis(500)))
			.withMessageContaining("0 (none) or more");
	}

	@Test
	void aClusterCannotWait() {
		LettuceConnectionFactory cluster = new LettuceConnectionFactory(
				new RedisClusterConfiguration(List.of("127.0.0.1:" + Ports.freePort())));
		assertThatIllegalArgumentException()
			.isThrownBy(() -> new RedisDedupStore(cluster, TIMEOUT, 1, Duration.ofMillis(500)))
			.withMessageContaining("for a Redis Cluster");
	}

	@Test
	void aFactoryWithoutASharedConnectionCannotWait() {
		this.standalone.setShareNativeConnection(false);
		assertThatIllegalArgumentException()
			.isThrownBy(() -> new RedisDedupStore(this.standalone, TIMEOUT, 1, Duration.ofMillis(500)))
			.withMessageContaining("shared native connection");
	}

	@Test
	void springsDriverNeutralPathCannotWait() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> new RedisDedupStore(this.standalone, TIMEOUT, false, 1, Duration.ofMillis(500), true))
			.withMessageContaining("only on a Lettuce connection factory");
	}

}
