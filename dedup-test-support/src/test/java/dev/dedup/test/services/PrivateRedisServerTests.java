package dev.dedup.test.services;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
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

	@Test
	void dataSurvivesAStopAndStartLikeAnOutageOfAPersistentRedis() throws IOException {
		try (PrivateRedisServer redis = new PrivateRedisServer()) {
			assertThat(command(redis.port(), "SET survivor yes")).isEqualTo("+OK");
			redis.stop();
			redis.start();
			assertThat(command(redis.port(), "EXISTS survivor")).isEqualTo(":1");
		}
	}

	/** One inline command, one reply line. */
	private static String command(int port, String command) throws IOException {
		try (Socket socket = new Socket("127.0.0.1", port)) {
			socket.setSoTimeout((int) TIMEOUT.toMillis());
			OutputStream out = socket.getOutputStream();
			out.write((command + "\r\n").getBytes(StandardCharsets.US_ASCII));
			out.flush();
			return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
				.readLine();
		}
	}

}
