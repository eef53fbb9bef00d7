package dev.dedup.test.services;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PrivateRedisServerTests {

	private static final Duration TIMEOUT = Duration.ofSeconds(1);

	@Test
	void startsOnAFreeLoopbackPortStopsAndStartsAgainOnTheSamePort() {
		try (PrivateRedisServer redis = new PrivateRedisServer()) {
			int port = redis.port();
			assertThat(port).isNotEqualTo(TestRedis.DEFAULT_PORT);
			assertThat(redis.url()).isEqualTo("redis://127.0.0.1:" + port);
			assertThat(redis.isRunning()).isTrue();
			assertThat(RedisPing.answers("127.0.0.1", port, TIMEOUT)).isTrue();

			redis.stop();
			assertThat(redis.isRunning()).isFalse();
			assertThat(RedisPing.answers("127.0.0.1", port, TIMEOUT)).as("stopped").isFalse();

			redis.start();
			assertThat(redis.port()).isEqualTo(port);
			assertThat(RedisPing.answers("127.0.0.1", port, TIMEOUT)).as("started again").isTrue();
		}
	}

	@Test
	void closeStopsTheServer() {
		PrivateRedisServer redis = new PrivateRedisServer();
		int port = redis.port();
		redis.close();
		assertThat(RedisPing.answers("127.0.0.1", port, TIMEOUT)).isFalse();
	}

}
