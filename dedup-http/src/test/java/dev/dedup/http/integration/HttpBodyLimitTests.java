package dev.dedup.http.integration;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.dedup.http.SubmitProblem;
import dev.dedup.http.integration.Client.Response;
import dev.dedup.test.services.TestRedis;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bodies larger than {@code dedup.http.max-body-size} (default 1 MB) on protected endpoints: 413 problem, the
 * handler does not run, nothing is stored, and the server reads no more than the limit into memory — also
 * for bodies far larger than this JVM's heap, declared or streamed without a length.
 */
@SpringBootTest(classes = HttpTestApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "dedup.http.identity.header=X-User", "spring.data.redis.repositories.enabled=false" })
class HttpBodyLimitTests {

	private static final int LIMIT = 1024 * 1024;

	/** More than any heap this JVM has (a quarter of the machine's memory by default). */
	private static final long HUGE = Math.max(8L << 30, Runtime.getRuntime().maxMemory() * 2);

	@DynamicPropertySource
	static void redis(DynamicPropertyRegistry registry) {
		registry.add("dedup.store", () -> "redis");
		registry.add("spring.data.redis.url", () -> TestRedis.get().url());
	}

	@LocalServerPort
	int port;

	@Autowired
	Recorder recorder;

	private Client client;

	private String run;

	@BeforeEach
	void setUp() {
		this.client = new Client(this.port);
		this.run = UUID.randomUUID().toString();
	}

	@Test
	void aBodyJustOverTheLimitGets413AndNothingIsStoredForItsKey() {
		String key = "big-" + this.run;
		Response refused = this.client.post("/idem/orders", json(LIMIT + 1), "X-User", "u", "X-Run", this.run,
				"Idempotency-Key", key);
		assertThat(refused.status()).isEqualTo(413);
		assertThat(refused.header("Content-Type")).startsWith("application/problem+json");
		assertThat(refused.problemType()).isEqualTo(SubmitProblem.BODY_TOO_LARGE.type().toString());
		assertThat(refused.body()).contains(Integer.toString(LIMIT));
		assertThat(this.recorder.runs(this.run)).isZero();

		// Nothing was stored under the key: a small request with it runs (no replay, no 422 "reused").
		Response small = this.client.post("/idem/orders", "{}", "X-User", "u", "X-Run", this.run, "Idempotency-Key",
				key);
		assertThat(small.status()).isEqualTo(201);
		assertThat(small.header("Idempotent-Replayed")).isNull();
		assertThat(this.recorder.runs(this.run)).isEqualTo(1);
	}

	@Test
	void aBodyOfExactlyTheLimitRuns() {
		assertThat(this.client.post("/lock/orders", json(LIMIT), "X-User", "u", "X-Run", this.run).status())
			.isEqualTo(200);
		assertThat(this.recorder.runs(this.run)).isEqualTo(1);
	}

	@Test
	void everyStrategyRefusesABodyOverTheLimit() {
		String body = json(LIMIT + 100);
		assertThat(this.client.post("/lock/orders", body, "X-User", "u", "X-Run", this.run).status()).isEqualTo(413);
		assertThat(this.client.post("/token/orders", body, "X-User", "u", "X-Run", this.run, "Submit-Token",
				"A".repeat(43)).status()).isEqualTo(413);
		assertThat(this.recorder.runs(this.run)).isZero();
	}

	@Test
	void aDeclaredBodyFarAboveTheHeapIsRefusedBeforeAnyOfItIsRead() throws Exception {
		try (Socket socket = new Socket("127.0.0.1", this.port)) {
			socket.setSoTimeout(30_000);
			// The headers alone: the answer must come without a byte of the body having been sent.
			socket.getOutputStream()
				.write(("POST /idem/orders HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
						+ "X-User: u\r\nX-Run: " + this.run + "\r\nIdempotency-Key: huge-" + this.run
						+ "\r\nContent-Length: " + HUGE + "\r\n\r\n")
					.getBytes(StandardCharsets.US_ASCII));
			String answer = readUntil(socket.getInputStream(), SubmitProblem.BODY_TOO_LARGE.type().toString());
			assertThat(answer).startsWith("HTTP/1.1 413 ")
				.contains("application/problem+json")
				.contains(SubmitProblem.BODY_TOO_LARGE.type().toString());
		}
		assertThat(this.recorder.runs(this.run)).isZero();
	}

	@Test
	void aStreamedBodyFarAboveTheHeapIsCutOffAfterTheLimit() throws Exception {
		AtomicLong sent = new AtomicLong();
		String status;
		try (Socket socket = new Socket("127.0.0.1", this.port)) {
			socket.setSoTimeout(30_000);
			OutputStream out = socket.getOutputStream();
			out.write(("POST /lock/orders HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
					+ "X-User: u\r\nX-Run: " + this.run + "\r\nTransfer-Encoding: chunked\r\n\r\n")
				.getBytes(StandardCharsets.US_ASCII));
			// Chunks of zeros until the server stops reading (the write fails) or HUGE bytes went out.
			Thread writer = new Thread(() -> {
				byte[] chunk = new byte[64 * 1024];
				Arrays.fill(chunk, (byte) ' ');
				byte[] head = (Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
				try {
					while (sent.get() < HUGE) {
						out.write(head);
						out.write(chunk);
						out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
						sent.addAndGet(chunk.length);
					}
				}
				catch (IOException ex) {
					// The server closed the connection: what a bounded read ends with.
				}
			}, "huge-body-writer");
			writer.setDaemon(true);
			writer.start();
			status = statusLine(socket.getInputStream());
			writer.join(30_000);
		}
		assertThat(status).isEqualTo("HTTP/1.1 413 ");
		// What went out before the server hung up: the limit, what Tomcat swallows after an unread body
		// (max-swallow-size, 2 MB) and the sockets' buffers — nothing near the gigabytes offered.
		assertThat(sent.get()).as("bytes sent before the server closed").isLessThan(64L * 1024 * 1024);
		assertThat(this.recorder.runs(this.run)).isZero();
	}

	private static String json(int size) {
		StringBuilder body = new StringBuilder(size).append("{\"pad\":\"");
		while (body.length() < size - 2) {
			body.append('x');
		}
		return body.append("\"}").toString();
	}

	/** What the server sent until {@code expected} turned up (or it closed the connection). */
	private static String readUntil(InputStream in, String expected) throws IOException {
		StringBuilder read = new StringBuilder();
		int next;
		while (read.indexOf(expected) < 0 && (next = in.read()) != -1) {
			read.append((char) next);
		}
		return read.toString();
	}

	/** The response's status line up to the reason phrase, e.g. {@code "HTTP/1.1 413 "}. */
	private static String statusLine(InputStream in) throws IOException {
		StringBuilder line = new StringBuilder();
		int next;
		while ((next = in.read()) != -1 && next != '\r' && line.length() < 13) {
			line.append((char) next);
		}
		return line.toString();
	}

}
