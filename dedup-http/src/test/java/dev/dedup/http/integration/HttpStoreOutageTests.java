package dev.dedup.http.integration;

import java.time.Duration;
import java.util.UUID;

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
 * The store goes down: a private redis-server (never the shared one) is stopped. Fail-closed answers 503
 * for every strategy and runs nothing; fail-open runs the handlers unprotected. Either way, protection is
 * back once the store is.
 */
class HttpStoreOutageTests {

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
			await().atMost(Duration.ofSeconds(30)).until(() -> lock(client, "back").status() == 200);
			assertThat(idem(client, "back").status()).isEqualTo(201);
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

	private ConfigurableApplicationContext start(String policy) {
		return new SpringApplicationBuilder(HttpTestApplication.class).run("--server.port=0",
				"--dedup.store=redis", "--dedup.on-store-failure=" + policy, "--spring.data.redis.url=" + this.redis.url(),
				"--spring.data.redis.timeout=500ms", "--spring.data.redis.connect-timeout=500ms",
				"--spring.data.redis.repositories.enabled=false", "--dedup.http.identity.header=X-User");
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

}
