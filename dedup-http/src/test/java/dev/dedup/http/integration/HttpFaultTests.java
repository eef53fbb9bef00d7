package dev.dedup.http.integration;

import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

import dev.dedup.http.SubmitProblem;
import dev.dedup.http.integration.Client.Response;
import dev.dedup.test.services.ChildJvm;
import dev.dedup.test.services.Ports;
import dev.dedup.test.services.PrivateRedisServer;
import dev.dedup.test.services.TestRedis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The HTTP side of the fault matrix, with the README's configuration. An instance killed with SIGKILL inside
 * a LOCK or IDEMPOTENCY_KEY handler: its claim stops being renewed, another instance refuses the same
 * request (409) until the 3 s lease runs out, then runs it once — never a second run while the first could
 * still be alive. And a store frozen while the handler runs: the client still gets its answer within the
 * store timeout + 1 s, and once the store thaws the retry replays that answer instead of running again.
 */
class HttpFaultTests {

	private static final Duration LEASE = Duration.ofSeconds(3);

	private StringRedisTemplate effects;

	private String run;

	@BeforeEach
	void setUp() {
		LettuceConnectionFactory factory = new LettuceConnectionFactory(
				LettuceConnectionFactory.createRedisConfiguration(TestRedis.get().url()));
		factory.afterPropertiesSet();
		factory.start();
		this.effects = new StringRedisTemplate(factory);
		this.run = UUID.randomUUID().toString();
	}

	@AfterEach
	void tearDown() {
		this.effects.delete("http-faults:" + this.run);
		((LettuceConnectionFactory) this.effects.getConnectionFactory()).destroy();
	}

	@Test
	void anInstanceKilledInsideAnIdempotencyKeyHandlerIsTakenOverOnlyAfterItsLease() throws Exception {
		List<Response> answers = killInsideHandlerThenRetryElsewhere("/crash/idem", "Idempotency-Key", "k-" + this.run);
		Response ran = answers.get(answers.size() - 1);
		assertThat(ran.status()).isEqualTo(201);
		assertThat(answers.subList(0, answers.size() - 1)).isNotEmpty()
			.allSatisfy((refused) -> assertThat(refused.problemType())
				.isEqualTo(SubmitProblem.IDEMPOTENCY_KEY_IN_FLIGHT.type().toString()));
	}

	@Test
	void anInstanceKilledInsideALockedHandlerIsTakenOverOnlyAfterItsLease() throws Exception {
		List<Response> answers = killInsideHandlerThenRetryElsewhere("/crash/lock", "X-Nothing", "-");
		assertThat(answers.get(answers.size() - 1).status()).isEqualTo(200);
		assertThat(answers.subList(0, answers.size() - 1)).isNotEmpty()
			.allSatisfy((refused) -> assertThat(refused.problemType())
				.isEqualTo(SubmitProblem.LOCK_HELD.type().toString()));
	}

	/**
	 * Instance A (a child JVM) takes the request and is killed inside the handler; instance B gets the same
	 * request every 200 ms until it runs it. Answers of B in order, the last the one that ran.
	 */
	private List<Response> killInsideHandlerThenRetryElsewhere(String path, String header, String value)
			throws Exception {
		int portA = Ports.freePort();
		Map<String, Object> properties = new HashMap<>(properties(TestRedis.get().url()));
		properties.put("server.port", portA);
		List<Response> answers = new ArrayList<>();
		try (ChildJvm instanceA = ChildJvm.start(KillableWebApp.class, "http-faults-" + this.run, properties);
				ConfigurableApplicationContext instanceB = start(TestRedis.get().url())) {
			Client a = new Client(portA);
			await("instance A to start").atMost(Duration.ofMinutes(2))
				.pollInterval(Duration.ofMillis(200))
				.ignoreExceptions()
				.failFast("instance A exited:\n" + instanceA.output(), () -> !instanceA.isAlive())
				.until(() -> a.get("/crash/ready").status() == 200);
			CompletableFuture.runAsync(() -> {
				try {
					a.send(request(a, path, header, value, -1));
				}
				catch (RuntimeException ex) {
					// Killed under the request: the connection breaks.
				}
			});
			await("A inside the handler").atMost(Duration.ofSeconds(30)).until(() -> runs() == 1);
			instanceA.kill();
			long killed = System.nanoTime();

			Client b = client(instanceB);
			while (true) {
				Response answer = b.send(request(b, path, header, value, 0));
				answers.add(answer);
				if (answer.status() != 409) {
					break;
				}
				assertThat(Duration.ofNanos(System.nanoTime() - killed)).as("refused past the lease: %s", answers)
					.isLessThan(LEASE.plusSeconds(2));
				Thread.sleep(200);
			}
			assertThat(runs()).as("A's run, then B's, once").isEqualTo(2);
			if (header.equals("Idempotency-Key")) {
				Response replay = b.send(request(b, path, header, value, 0));
				assertThat(replay.header("Idempotent-Replayed")).isEqualTo("true");
				assertThat(runs()).isEqualTo(2);
			}
		}
		return answers;
	}

	@Test
	void aStoreFrozenWhileTheHandlerRunsStillAnswersInTimeAndTheRetryReplaysOnceItThaws() throws Exception {
		try (PrivateRedisServer store = new PrivateRedisServer();
				ConfigurableApplicationContext app = start(store.url())) {
			Client client = client(app);
			String key = "frozen-" + this.run;
			assertThat(client.send(request(client, "/crash/idem", "Idempotency-Key", "warm-" + this.run, 0)).status())
				.isEqualTo(201);

			long sent = System.nanoTime();
			CompletableFuture<Response> first = CompletableFuture
				.supplyAsync(() -> client.send(request(client, "/crash/idem", "Idempotency-Key", key, 1000)));
			await().atMost(Duration.ofSeconds(10)).until(() -> runs() == 2);
			store.freeze();
			Response answer;
			try {
				answer = first.get(30, TimeUnit.SECONDS);
			}
			finally {
				store.thaw();
			}
			// The handler's second, then at most the store timeout (2 s) for storing the response, plus 1 s.
			assertThat(Duration.ofNanos(System.nanoTime() - sent)).isLessThan(Duration.ofSeconds(4));
			assertThat(answer.status()).isEqualTo(201);

			// The mark sent while the store was frozen ran when it thawed: the retry is a replay, not a second run.
			await("the store to answer again").atMost(Duration.ofSeconds(10))
				.pollInterval(Duration.ofMillis(200))
				.until(() -> client.send(request(client, "/crash/idem", "Idempotency-Key", key, 0)).status() != 503);
			Response retry = client.send(request(client, "/crash/idem", "Idempotency-Key", key, 0));
			assertThat(retry.header("Idempotent-Replayed")).isEqualTo("true");
			assertThat(retry.body()).isEqualTo(answer.body());
			assertThat(runs()).isEqualTo(2);
		}
	}

	private HttpRequest.Builder request(Client client, String path, String header, String value, long sleepMs) {
		return client.request(path, "{}", "X-User", "u", "X-Run", this.run, "X-Sleep-Ms", Long.toString(sleepMs),
				header, value);
	}

	private long runs() {
		String count = this.effects.opsForValue().get("http-faults:" + this.run);
		return (count != null) ? Long.parseLong(count) : 0;
	}

	private static Map<String, Object> properties(String storeUrl) {
		return Map.of("dedup.store", "redis", "spring.data.redis.url", storeUrl,
				"spring.data.redis.repositories.enabled", "false", "dedup.http.identity.header", "X-User",
				"test.effects-url", TestRedis.get().url(), "spring.jmx.enabled", "false");
	}

	private static ConfigurableApplicationContext start(String storeUrl) {
		List<String> args = new ArrayList<>(List.of("--server.port=0"));
		properties(storeUrl).forEach((name, value) -> args.add("--" + name + "=" + value));
		return new SpringApplicationBuilder(KillableWebApp.class).run(args.toArray(String[]::new));
	}

	private static Client client(ConfigurableApplicationContext app) {
		return new Client(Integer.parseInt(app.getEnvironment().getProperty("local.server.port")));
	}

}
