package dev.dedup.test.services;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class TestRedisTests {

	@Test
	void resolvesARedisThatAnswersPing() throws Exception {
		TestRedis redis = TestRedis.get();
		assertThat(RedisPing.reply(redis.host(), redis.port(), Duration.ofSeconds(2))).isEqualTo("+PONG");
		assertThat(redis.url()).startsWith("redis");
		assertThat(TestRedis.get()).as("resolved once").isSameAs(redis);
	}

	@Test
	void takesHostPortAndUrlFromAConfiguredUrl() {
		TestRedis redis = TestRedis.fromUrl("redis://:secret@redis.example:6380/2");
		assertThat(redis.host()).isEqualTo("redis.example");
		assertThat(redis.port()).isEqualTo(6380);
		assertThat(redis.url()).isEqualTo("redis://:secret@redis.example:6380/2");
		assertThat(TestRedis.fromUrl("redis://redis.example").port()).isEqualTo(6379);
	}

	@Test
	void refusesAConfiguredValueThatIsNotARedisUrl() {
		assertThatExceptionOfType(AssertionError.class).isThrownBy(() -> TestRedis.fromUrl("localhost:6379"))
			.withMessageContaining(TestRedis.URL_VARIABLE);
	}

	@Test
	void failsWithInstructionsWhenNoRedisCanBeFound() {
		int nothingListens = Ports.freePort();
		assertThatExceptionOfType(AssertionError.class).isThrownBy(() -> TestRedis.resolve(null, nothingListens))
			.withMessageContaining("nothing answers PING on 127.0.0.1:" + nothingListens)
			.withMessageContaining("Docker is not available")
			.withMessageContaining("redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save \"\" "
					+ "--appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log")
			.withMessageContaining("DEDUP_TEST_REDIS_URL");
	}

	@Test
	void freePortIsBindable() throws Exception {
		int port = Ports.freePort();
		try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
			assertThat(socket.getLocalPort()).isEqualTo(port);
		}
	}

}
