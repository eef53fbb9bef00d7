package dev.dedup.http.integration;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import dev.dedup.http.SubmitProblem;
import dev.dedup.http.integration.Client.Response;
import dev.dedup.test.services.PrivateRedisServer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The store goes down, hangs or dies, with the README's configuration: no {@code spring.data.redis.timeout},
 * so Lettuce keeps its 60 s default and only {@code dedup.store-timeout} (2 s by default) bounds a request. A
 * private redis-server (never the shared one) is stopped, frozen with SIGSTOP — connections stay open,
 * nothing answers — or killed with SIGKILL. Fail-closed answers 503 for every strategy and runs nothing,
 * each protected request within the deadline + 1 s while an unprotected endpoint keeps answering; fail-open
 * runs the handlers unprotected. Either way, protection is back within seconds of the store.
 */
class HttpStoreOutageTests {

	/** {@code dedup.store-timeout}'s default, plus the second the issue allows. */
	private static final Duration ANSWER_BOUND = Duration.ofSeconds(3);

	private static final int CONCURRENT = 24;

	private PrivateRedisServer redis;

	private String run;

	@BeforeEach
	void startRedis() {
		this.redis = new PrivateRedisServer();
		this.run = UUID.randomUUID().toString();
	}

	@AfterEach
	void stopRedis() {
		this.redis.close();
	}

	@Test
	void failClosedAnswers503ForEveryStrategyWhileTheStoreIsDown() {
		try (ConfigurableApplicationContext app = start("fail-closed")) {
			Client client = client(app);
			Recorder recorder = app.getBean(Recorder.class);
			String token = client.post("/dedup/tokens?operation=/token/orders", "", "X-User", "u").json("$.token");

			this.redis.stop();
			for (Response answer : new Response[] { lock(client, "down"), idem(client, "down"),
					client.post("/token/orders", "{}", "X-User", "u", "X-Run", this.run, "Submit-Token", token) }) {
				assertThat(answer.status()).isEqualTo(503);
				assertThat(answer.problemType()).isEqualTo(SubmitProblem.STORE_UNAVAILABLE.type().toString());
				assertThat(answer.header("Retry-After")).isEqualTo("1");
			}
			Response issue = client.post("/dedup/tokens?operation=/token/orders", "", "X-User", "u2");
			assertThat(issue.status()).isEqualTo(503);
			assertThat(recorder.runs(this.run)).isZero();

			this.redis.start();
			// The circuit breaker's trial calls close it again within a second or two of the store's return.
			await().atMost(Duration.ofSeconds(30)).until(() -> lock(client, "back").status() == 200);
			await().atMost(Duration.ofSeconds(10)).until(() -> idem(client, "back").status() == 201);
			assertThat(idem(client, "back").header("Idempotent-Replayed")).isEqualTo("true");
			assertThat(client.post("/token/orders", "{}", "X-User", "u", "X-Run", this.run, "Submit-Token", token)
				.status()).as("the token issued before the outage is still good").isEqualTo(200);
		}
	}

	@Test
	void failOpenRunsTheHandlersUnprotectedWhileTheStoreIsDown() {
		try (ConfigurableApplicationContext app = start("fail-open")) {
			Client client = client(app);
			Recorder recorder = app.getBean(Recorder.class);

			this.redis.stop();
			assertThat(lock(client, "down").status()).isEqualTo(200);
			assertThat(idem(client, "down").status()).isEqualTo(201);
			assertThat(idem(client, "down").status()).as("no replay without a store").isEqualTo(201);
			Response issued = client.post("/dedup/tokens?operation=/token/orders", "", "X-User", "u");
			assertThat(issued.status()).isEqualTo(201);
			String token = issued.json("$.token");
			assertThat(client.post("/token/orders", "{}", "X-User", "u", "X-Run", this.run, "Submit-Token", token)
				.status()).isEqualTo(200);
			Response malformed = client.post("/token/orders", "{}", "X-User", "u", "X-Run", this.run, "Submit-Token",
					"nonsense");
			assertThat(malformed.status()).as("input is still checked").isEqualTo(400);
			assertThat(recorder.runs(this.run)).isEqualTo(4);
		}
	}

	@Test
	void aFrozenStoreCostsEachProtectedRequestAtMostTheDeadlineAndProtectionComesBackWhenItThaws() throws Exception {
		try (ConfigurableApplicationContext app = start("fail-closed")) {
			Client client = client(app);
			Recorder recorder = app.getBean(Recorder.class);
			String token = issue(client, "before");
			assertThat(lock(client, "warm-up").status()).isEqualTo(200);

			this.redis.freeze();
			List<Timed> answers = concurrently(protectedRequests(client, "frozen"), () -> client.get("/plain"));
			assertRefusedInTime(answers);
			assertThat(recorder.runs(this.run)).as("nothing ran unprotected").isEqualTo(1);

			this.redis.thaw();
			assertProtectionComesBack(client, token);
		}
	}

	@Test
	void aKilledStoreCostsEachProtectedRequestAtMostTheDeadlineAndProtectionComesBackWhenItRestarts()
			throws Exception {
		try (ConfigurableApplicationContext app = start("fail-closed")) {
			Client client = client(app);
			Recorder recorder = app.getBean(Recorder.class);
			String token = issue(client, "before");
			assertThat(lock(client, "warm-up").status()).isEqualTo(200);

			this.redis.kill();
			List<Timed> answers = concurrently(protectedRequests(client, "killed"), () -> client.get("/plain"));
			assertRefusedInTime(answers);
			assertThat(recorder.runs(this.run)).isEqualTo(1);

			this.redis.start();
			assertProtectionComesBack(client, token);
		}
	}

	@Test
	void failOpenRunsTheHandlersWithinTheDeadlineWhileTheStoreIsFrozen() throws Exception {
		try (ConfigurableApplicationContext app = start("fail-open")) {
			Client client = client(app);
			Recorder recorder = app.getBean(Recorder.class);
			assertThat(lock(client, "warm-up").status()).isEqualTo(200);

			this.redis.freeze();
			List<Supplier<Response>> requests = new ArrayList<>();
			for (int i = 0; i < CONCURRENT / 2; i++) {
				String phase = "open-" + i;
				requests.add(() -> lock(client, phase));
				requests.add(() -> idem(client, phase));
			}
			List<Timed> answers = concurrently(requests, () -> client.get("/plain"));
			for (Timed answer : answers) {
				assertThat(answer.response().status()).as("%s", answer).isBetween(200, 201);
				assertThat(answer.took()).as("%s", answer).isLessThan(ANSWER_BOUND);
			}
			assertThat(recorder.runs(this.run)).isEqualTo(1 + CONCURRENT);
			this.redis.thaw();
		}
	}

	/** Six each of LOCK, IDEMPOTENCY_KEY, a token submit and a token request, each a request of its own. */
	private List<Supplier<Response>> protectedRequests(Client client, String phase) {
		List<Supplier<Response>> requests = new ArrayList<>();
		for (int i = 0; i < CONCURRENT / 4; i++) {
			String name = phase + "-" + i;
			requests.add(() -> lock(client, name));
			requests.add(() -> idem(client, name));
			requests.add(() -> client.post("/token/orders", "{}", "X-User", "hang-" + name, "X-Run", this.run,
					"Submit-Token", "A".repeat(43)));
			requests.add(() -> client.post("/dedup/tokens?operation=/token/orders", "", "X-User", "issue-" + name));
		}
		return requests;
	}

	private static void assertRefusedInTime(List<Timed> answers) {
		assertThat(answers).hasSize(CONCURRENT);
		for (Timed answer : answers) {
			assertThat(answer.response().status()).as("%s", answer).isEqualTo(503);
			assertThat(answer.response().problemType()).isEqualTo(SubmitProblem.STORE_UNAVAILABLE.type().toString());
			assertThat(answer.response().header("Retry-After")).isEqualTo("1");
			assertThat(answer.took()).as("%s", answer).isLessThan(ANSWER_BOUND);
		}
	}

	private void assertProtectionComesBack(Client client, String token) {
		// Within seconds: the circuit breaker lets a trial call through a second after it opened.
		await("protection to come back").atMost(Duration.ofSeconds(10))
			.pollInterval(Duration.ofMillis(200))
			.until(() -> lock(client, "back").status() == 200);
		assertThat(idem(client, "back").status()).isEqualTo(201);
		assertThat(idem(client, "back").header("Idempotent-Replayed")).isEqualTo("true");
		assertThat(client.post("/token/orders", "{}", "X-User", "before", "X-Run", this.run, "Submit-Token", token)
			.status()).as("the token issued before the outage is still good").isEqualTo(200);
		// A LOCK refused during the outage holds nothing afterwards: its claim, if the store ran it on waking
		// up, was taken back.
		assertThat(lock(client, "frozen-0").status()).isEqualTo(200);
	}

	/**
	 * Sends every request at once from threads of its own and, while they wait, the unprotected one (which
	 * must answer at once, however many protected requests are parked); answers in the order given.
	 */
	private static List<Timed> concurrently(List<Supplier<Response>> requests, Supplier<Response> unprotected)
			throws Exception {
		ExecutorService threads = Executors.newFixedThreadPool(requests.size());
		try {
			List<Future<Timed>> answers = new ArrayList<>();
			for (Supplier<Response> request : requests) {
				answers.add(threads.submit(() -> timed(request)));
			}
			Thread.sleep(300);
			Timed plain = timed(unprotected);
			assertThat(plain.response().status()).isEqualTo(200);
			assertThat(plain.took()).as("an unprotected endpoint while the store hangs").isLessThan(Duration.ofSeconds(1));
			List<Timed> result = new ArrayList<>();
			for (Future<Timed> answer : answers) {
				result.add(answer.get(60, TimeUnit.SECONDS));
			}
			return result;
		}
		finally {
			threads.shutdownNow();
		}
	}

	private static Timed timed(Supplier<Response> request) {
		long start = System.nanoTime();
		Response response = request.get();
		return new Timed(response, Duration.ofNanos(System.nanoTime() - start));
	}

	private ConfigurableApplicationContext start(String policy) {
		// The README's configuration: no Redis timeout of any kind; dedup.store-timeout (2 s) bounds each call.
		return new SpringApplicationBuilder(HttpTestApplication.class).run("--server.port=0", "--dedup.store=redis",
				"--dedup.on-store-failure=" + policy, "--spring.data.redis.url=" + this.redis.url(),
				"--spring.data.redis.repositories.enabled=false", "--dedup.http.identity.header=X-User");
	}

	private static String issue(Client client, String identity) {
		Response issued = client.post("/dedup/tokens?operation=/token/orders", "", "X-User", identity);
		assertThat(issued.status()).isEqualTo(201);
		return issued.json("$.token");
	}


	private static Client client(ConfigurableApplicationContext app) {
		return new Client(Integer.parseInt(app.getEnvironment().getProperty("local.server.port")));
	}

	private Response lock(Client client, String phase) {
		return client.post("/lock/orders", "{\"phase\":\"" + phase + "\"}", "X-User", "u", "X-Run", this.run);
	}

	private Response idem(Client client, String phase) {
		return client.post("/idem/orders", "{}", "X-User", "u", "X-Run", this.run, "Idempotency-Key",
				phase + "-" + this.run);
	}

	private record Timed(Response response, Duration took) {

		@Override
		public String toString() {
			return this.response.status() + " after " + this.took.toMillis() + " ms: " + this.response.body();
		}

	}

}
