package dev.dedup.http.integration;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

import dev.dedup.core.store.DedupStore;
import dev.dedup.http.SubmitProblem;
import dev.dedup.http.idempotency.IdempotencyGuard;
import dev.dedup.http.integration.Client.Response;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Every strategy on a real server on a random port, with real concurrent clients. One subclass per store:
 * a store is added by a subclass that points {@code dedup.store} (and its connection) at it; the keys are
 * unique per test, so a shared server is fine. Handlers called with {@code X-Gate: true} wait until the test
 * opens the gate, so that "at once" really overlaps.
 */
@SpringBootTest(classes = HttpTestApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "dedup.http.identity.header=X-User", "dedup.http.token.ttl=3s",
				"server.tomcat.threads.max=250", "server.max-http-request-header-size=64KB", "spring.data.redis.repositories.enabled=false" })
public abstract class HttpDedupIntegrationTests {

	static final int CLIENTS = 200;

	@LocalServerPort
	int port;

	@Autowired
	Recorder recorder;

	@Autowired
	DedupStore store;

	Client client;

	String run;

	String user;

	/** The store the subclass configured, for an assertion that the right one runs. */
	protected abstract Class<? extends DedupStore> expectedStore();

	@BeforeEach
	void setUp() {
		this.client = new Client(this.port);
		this.run = UUID.randomUUID().toString();
		this.user = "user-" + this.run.substring(0, 8);
	}

	@Test
	void theConfiguredStoreIsInUse() {
		assertThat(this.store).isInstanceOf(expectedStore());
	}

	// LOCK

	@Test
	void lockRunsTheHandlerOnceFor200IdenticalSubmitsAtOnce() throws Exception {
		String body = "{\"item\":\"book\",\"qty\":1,\"run\":\"" + this.run + "\"}";
		this.recorder.closeGate();
		List<Response> responses = this.client.concurrently(CLIENTS,
				() -> this.client.request("/lock/orders", body, "X-Gate", "true", "X-User", this.user, "X-Run", this.run),
				CLIENTS - 1, this.recorder::openGate);

		assertThat(this.recorder.runs(this.run)).isEqualTo(1);
		assertThat(statuses(responses)).containsExactlyInAnyOrderEntriesOf(Map.of(200, 1L, 409, (long) CLIENTS - 1));
		Response refused = responses.stream().filter(r -> r.status() == 409).findFirst().orElseThrow();
		assertThat(refused.header("Content-Type")).startsWith("application/problem+json");
		assertThat(refused.problemType()).isEqualTo(SubmitProblem.LOCK_HELD.type().toString());
		assertThat(Long.parseLong(refused.header("Retry-After"))).isBetween(1L, 30L);
		assertThat(refused.<Integer>json("$.status")).isEqualTo(409);
		assertThat(refused.<String>json("$.instance")).isEqualTo("/lock/orders");
	}

	@Test
	void lockIsReleasedWhenTheHandlerReturnsSoTheNextSubmitRuns() {
		String body = "{\"run\":\"" + this.run + "\"}";
		assertThat(lock(body).status()).isEqualTo(200);
		assertThat(lock(body).status()).isEqualTo(200);
		assertThat(this.recorder.runs(this.run)).isEqualTo(2);
	}

	@Test
	void lockTreatsTheSameJsonWithOtherKeyOrderAndSpacingAsTheSameSubmit() throws Exception {
		this.recorder.closeGate();
		Thread first = new Thread(() -> lockGated("{\"a\":1,\"b\":[1,2],\"run\":\"" + this.run + "\"}"));
		first.start();
		try {
			await().atMost(Duration.ofSeconds(10)).until(() -> this.recorder.runs(this.run) == 1);
			Response same = lockGated("{ \"run\" : \"" + this.run + "\", \"b\":[1, 2.0], \"a\":1.00 }");
			assertThat(same.status()).isEqualTo(409);
			Response other = lock("{\"a\":2,\"b\":[1,2],\"run\":\"" + this.run + "\"}");
			assertThat(other.status()).as("another body is another submit").isEqualTo(200);
		}
		finally {
			this.recorder.openGate();
			first.join();
		}
	}

	@Test
	void lockKeysBySpelOverTheMethodArguments() throws Exception {
		this.recorder.closeGate();
		Thread first = new Thread(() -> this.client.post("/lock/by-customer",
				"{\"customer\":\"c-" + this.run + "\",\"amount\":10}", "X-Gate", "true", "X-User", this.user, "X-Run", this.run));
		first.start();
		try {
			await().atMost(Duration.ofSeconds(10)).until(() -> this.recorder.runs(this.run) == 1);
			Response sameCustomer = this.client.post("/lock/by-customer", "{\"customer\":\"c-" + this.run
					+ "\",\"amount\":99}", "X-User", this.user, "X-Run", this.run);
			assertThat(sameCustomer.status()).isEqualTo(409);
			Response otherCustomer = this.client.post("/lock/by-customer", "{\"customer\":\"d-" + this.run
					+ "\",\"amount\":10}", "X-User", this.user, "X-Run", this.run);
			assertThat(otherCustomer.status()).isEqualTo(200);
			Response invalid = this.client.post("/lock/by-customer", "not json", "X-User", this.user, "X-Run",
					this.run);
			assertThat(invalid.status()).as("Spring MVC's own answer to an unreadable body").isEqualTo(400);
		}
		finally {
			this.recorder.openGate();
			first.join();
		}
	}

	@Test
	void lockIsPerIdentityAndPerPathVariable() throws Exception {
		this.recorder.closeGate();
		Thread first = new Thread(() -> this.client.post("/lock/orders/o-1/pay", "", "X-Gate", "true", "X-User", this.user,
				"X-Run", this.run));
		first.start();
		try {
			await().atMost(Duration.ofSeconds(10)).until(() -> this.recorder.runs(this.run) == 1);
			assertThat(this.client.post("/lock/orders/o-1/pay", "", "X-Gate", "true", "X-User", this.user, "X-Run", this.run)
				.status()).isEqualTo(409);
			assertThat(this.client.post("/lock/orders/o-2/pay", "", "X-User", this.user, "X-Run", this.run).status())
				.isEqualTo(200);
			assertThat(this.client.post("/lock/orders/o-1/pay", "", "X-User", this.user + "-other",
					"X-Run", this.run + "-other").status()).isEqualTo(200);
		}
		finally {
			this.recorder.openGate();
			first.join();
		}
	}

	@Test
	void anAsyncHandlerHoldsItsLockUntilItsResponseIsComplete() throws Exception {
		this.recorder.closeGate();
		Thread first = new Thread(() -> this.client.post("/lock/async", "{}", "X-User", this.user, "X-Run", this.run,
				"X-Gate", "true"));
		first.start();
		try {
			await().atMost(Duration.ofSeconds(10)).until(() -> this.recorder.runs(this.run) == 1);
			assertThat(post("/lock/async", "{}").status()).isEqualTo(409);
		}
		finally {
			this.recorder.openGate();
			first.join();
		}
		await().atMost(Duration.ofSeconds(10)).until(() -> post("/lock/async", "{}").status() == 200);
	}

	@Test
	void leaseRenewalKeepsASlowHandlersLockLongAfterTheLeaseWouldHaveRunOut() throws Exception {
		Thread slow = new Thread(() -> this.client.post("/lock/slow?sleepMs=2000", "", "X-User", this.user, "X-Run",
				this.run));
		slow.start();
		try {
			await().atMost(Duration.ofSeconds(10)).until(() -> this.recorder.runs(this.run) == 1);
			Thread.sleep(1200); // four 300 ms leases
			Response duplicate = this.client.post("/lock/slow?sleepMs=2000", "", "X-User", this.user, "X-Run",
					this.run);
			assertThat(duplicate.status()).isEqualTo(409);
			assertThat(this.recorder.runs(this.run)).isEqualTo(1);
		}
		finally {
			slow.join();
		}
	}

	@Test
	void holdAfterSuccessRefusesTheSameSubmitForTheCooldownOnly() {
		String body = "{\"run\":\"" + this.run + "\"}";
		assertThat(post("/lock/cooldown", body).status()).isEqualTo(200);
		Response again = post("/lock/cooldown", body);
		assertThat(again.status()).isEqualTo(409);
		assertThat(again.problemType()).isEqualTo(SubmitProblem.RECENTLY_SUBMITTED.type().toString());
		assertThat(Long.parseLong(again.header("Retry-After"))).isBetween(1L, 5L);
		assertThat(post("/lock/cooldown", "{\"run\":\"" + this.run + "\",\"n\":2}").status()).isEqualTo(200);
		assertThat(this.recorder.runs(this.run)).isEqualTo(2);
	}

	@Test
	void aFailedSubmitStartsNoCooldown() {
		String body = "{\"run\":\"" + this.run + "\"}";
		assertThat(post("/lock/failing?status=422", body).status()).isEqualTo(422);
		assertThat(post("/lock/failing?status=422", body).status()).isEqualTo(422);
		assertThat(post("/lock/failing?status=201", body).status()).isEqualTo(201);
		assertThat(post("/lock/failing?status=201", body).status()).as("cooldown").isEqualTo(409);
		assertThat(this.recorder.runs(this.run)).isEqualTo(3);
	}

	@Test
	void lockAcceptsABodyThatIsNotJson() {
		assertThat(post("/lock/orders", "plain text " + this.run).status()).isEqualTo(200);
	}

	@Test
	void protectedEndpointsWithoutIdentityAnswer401AndUnprotectedOnesRun() {
		Response anonymous = this.client.post("/lock/orders", "{}", "X-Run", this.run);
		assertThat(anonymous.status()).isEqualTo(401);
		assertThat(anonymous.problemType()).isEqualTo(SubmitProblem.IDENTITY_REQUIRED.type().toString());
		assertThat(this.client.post("/idem/orders", "{}", "X-Run", this.run, "Idempotency-Key", "k").status())
			.isEqualTo(401);
		assertThat(this.client.post("/dedup/tokens?operation=/token/orders", "").status()).isEqualTo(401);
		assertThat(this.recorder.runs(this.run)).isZero();
		assertThat(this.client.send(this.client.request("/plain", "").GET()).body()).isEqualTo("plain");
	}

	// TOKEN

	@Test
	void tokenIsIssuedOnceUsedOnceAndThenAnotherCanBeIssued() {
		Response issued = issueToken("/token/orders");
		assertThat(issued.status()).isEqualTo(201);
		assertThat(issued.header("Cache-Control")).isEqualTo("no-store");
		String token = issued.json("$.token");
		assertThat(token).matches("[A-Za-z0-9_-]{43}");
		assertThat(issued.<String>json("$.operation")).isEqualTo("/token/orders");
		assertThat(issued.<Integer>json("$.expiresInSeconds")).isEqualTo(3);

		Response second = issueToken("/token/orders");
		assertThat(second.status()).isEqualTo(409);
		assertThat(second.problemType()).isEqualTo(SubmitProblem.TOKEN_OUTSTANDING.type().toString());
		assertThat(second.header("Content-Type")).startsWith("application/problem+json");

		assertThat(submitWithToken("/token/orders", token).status()).isEqualTo(200);
		Response reused = submitWithToken("/token/orders", token);
		assertThat(reused.status()).isEqualTo(409);
		assertThat(reused.problemType()).isEqualTo(SubmitProblem.TOKEN_USED.type().toString());
		assertThat(this.recorder.runs(this.run)).isEqualTo(1);

		assertThat(issueToken("/token/orders").status()).as("the used token no longer blocks").isEqualTo(201);
	}

	@Test
	void tokenUsedBy200SubmitsAtOnceRunsTheHandlerOnce() throws Exception {
		String token = issueToken("/token/orders").json("$.token");
		this.recorder.closeGate();
		List<Response> responses = this.client.concurrently(CLIENTS,
				() -> this.client.request("/token/orders", "{}", "X-Gate", "true", "X-User", this.user, "X-Run", this.run,
						"Submit-Token", token),
				CLIENTS - 1, this.recorder::openGate);
		assertThat(this.recorder.runs(this.run)).isEqualTo(1);
		assertThat(statuses(responses)).containsExactlyInAnyOrderEntriesOf(Map.of(200, 1L, 409, (long) CLIENTS - 1));
		assertThat(responses).filteredOn(r -> r.status() == 409)
			.allSatisfy(r -> assertThat(r.problemType()).isEqualTo(SubmitProblem.TOKEN_USED.type().toString()));
	}

	@Test
	void aTokenIsUselessToAnotherIdentityOrForAnotherOperationAndStaysValidForItsOwn() {
		String token = issueToken("/token/orders").json("$.token");
		Response otherUser = this.client.post("/token/orders", "{}", "X-User", this.user + "-mallory", "X-Run",
				this.run, "Submit-Token", token);
		assertThat(otherUser.status()).isEqualTo(400);
		assertThat(otherUser.problemType()).isEqualTo(SubmitProblem.TOKEN_UNKNOWN.type().toString());
		Response otherOperation = submitWithToken("/token/refunds", token);
		assertThat(otherOperation.status()).isEqualTo(400);
		assertThat(otherOperation.problemType()).isEqualTo(SubmitProblem.TOKEN_UNKNOWN.type().toString());
		assertThat(this.recorder.runs(this.run)).isZero();

		assertThat(submitWithToken("/token/orders", token).status()).isEqualTo(200);
	}

	@Test
	void explicitOperationNamesAreWhatTokensAreIssuedFor() {
		assertThat(issueToken("/token/refunds").status()).isEqualTo(400);
		String token = issueToken("refund").json("$.token");
		assertThat(submitWithToken("/token/refunds", token).status()).isEqualTo(200);
	}

	@Test
	void missingMalformedAndUnknownTokensAre400() {
		Response missing = post("/token/orders", "{}");
		assertThat(missing.status()).isEqualTo(400);
		assertThat(missing.problemType()).isEqualTo(SubmitProblem.TOKEN_MISSING.type().toString());
		for (String malformed : List.of(UUID.randomUUID().toString(), "x".repeat(10_000), "a\tb",
				"A".repeat(42) + "=", "dedup:token:" + this.user + ":/token/orders")) {
			Response answer = submitWithToken("/token/orders", malformed);
			assertThat(answer.status()).as(malformed).isEqualTo(400);
			assertThat(answer.problemType()).isEqualTo(SubmitProblem.TOKEN_MALFORMED.type().toString());
		}
		Response unknown = submitWithToken("/token/orders", "A".repeat(43));
		assertThat(unknown.status()).isEqualTo(400);
		assertThat(unknown.problemType()).isEqualTo(SubmitProblem.TOKEN_UNKNOWN.type().toString());
		assertThat(unknown.<String>json("$.detail")).contains("fetch a new token");
		assertThat(this.recorder.runs(this.run)).isZero();
	}

	@Test
	void anExpiredTokenIs400AndNoLongerBlocksIssuing() {
		String token = issueToken("/token/orders").json("$.token");
		await().pollDelay(Duration.ofMillis(3100))
			.atMost(Duration.ofSeconds(15))
			.until(() -> issueToken("/token/orders").status() == 201);
		Response expired = submitWithToken("/token/orders", token);
		assertThat(expired.status()).isEqualTo(400);
		assertThat(expired.problemType()).isEqualTo(SubmitProblem.TOKEN_UNKNOWN.type().toString());
	}

	@Test
	void tokenEndpointRefusesUnknownOperations() {
		for (String operation : List.of("", "/lock/orders", "/nowhere")) {
			Response answer = issueToken(operation);
			assertThat(answer.status()).as(operation).isEqualTo(400);
			assertThat(answer.problemType()).isEqualTo(SubmitProblem.TOKEN_OPERATION_UNKNOWN.type().toString());
		}
		assertThat(this.client.post("/dedup/tokens", "", "X-User", this.user).status()).isEqualTo(400);
	}

	// IDEMPOTENCY_KEY

	@Test
	void idempotencyKeyRunsTheHandlerOnceFor200IdenticalRequestsAtOnce() throws Exception {
		String key = "order-" + this.run;
		String body = "{\"item\":\"book\",\"qty\":1}";
		this.recorder.closeGate();
		List<Response> responses = this.client.concurrently(CLIENTS,
				() -> this.client.request("/idem/orders", body, "X-Gate", "true", "X-User", this.user, "X-Run", this.run,
						"Idempotency-Key", key),
				CLIENTS - 1, this.recorder::openGate);
		assertThat(this.recorder.runs(this.run)).isEqualTo(1);
		assertThat(statuses(responses).get(201)).isEqualTo(1L);
		assertThat(responses).filteredOn(r -> r.status() != 201).hasSize(CLIENTS - 1).allSatisfy(r -> {
			assertThat(r.status()).isEqualTo(409);
			assertThat(r.problemType()).isEqualTo(SubmitProblem.IDEMPOTENCY_KEY_IN_FLIGHT.type().toString());
			assertThat(r.header("Retry-After")).isNotNull();
		});
	}

	@Test
	void aRetryGetsTheStoredResponseByteForByteWithoutCookies() {
		String key = "\"order-" + this.run + "\"";
		Response first = idem("/idem/orders?x=1", "{\"item\":\"book\"}", key);
		assertThat(first.status()).isEqualTo(201);
		assertThat(first.header(IdempotencyGuard.REPLAYED_HEADER)).isNull();
		assertThat(first.headers("Set-Cookie")).isNotEmpty();

		Response replay = idem("/idem/orders?x=1", "{\"item\":\"book\"}", key);
		assertThat(replay.status()).isEqualTo(201);
		assertThat(replay.bytes()).isEqualTo(first.bytes());
		assertThat(replay.header("Location")).isEqualTo(first.header("Location"));
		assertThat(replay.header("ETag")).isEqualTo(first.header("ETag"));
		assertThat(replay.header("Content-Type")).isEqualTo(first.header("Content-Type"));
		assertThat(replay.header(IdempotencyGuard.REPLAYED_HEADER)).isEqualTo("true");
		assertThat(replay.headers("Set-Cookie")).isEmpty();
		assertThat(replay.header("X-Trace")).as("not allow-listed").isNull();
		assertThat(this.recorder.runs(this.run)).isEqualTo(1);

		Response bare = idem("/idem/orders?x=1", "{\"item\":\"book\"}", key.substring(1, key.length() - 1));
		assertThat(bare.bytes()).as("the quoted and the bare form are one key").isEqualTo(first.bytes());
	}

	@Test
	void theSameKeyWithAnotherPayloadIs422() {
		String key = "k-" + this.run;
		assertThat(idem("/idem/orders?x=1", "{\"item\":\"book\"}", key).status()).isEqualTo(201);
		for (String[] other : List.of(new String[] { "/idem/orders?x=1", "{\"item\":\"pen\"}" },
				new String[] { "/idem/orders?x=2", "{\"item\":\"book\"}" },
				new String[] { "/idem/orders?x=1", "{ \"item\":\"book\"}" })) {
			Response answer = idem(other[0], other[1], key);
			assertThat(answer.status()).as(String.join(" ", other)).isEqualTo(422);
			assertThat(answer.problemType()).isEqualTo(SubmitProblem.IDEMPOTENCY_KEY_REUSED.type().toString());
		}
		assertThat(this.recorder.runs(this.run)).isEqualTo(1);
	}

	@Test
	void keysAreScopedByIdentityAndRoute() {
		String key = "shared-" + this.run;
		assertThat(idem("/idem/orders", "{}", key).status()).isEqualTo(201);
		assertThat(this.client.post("/idem/orders", "{}", "X-User", this.user + "-b", "X-Run", this.run,
				"Idempotency-Key", key).status()).isEqualTo(201);
		assertThat(idem("/idem/fail?status=200", "{}", key).status()).isEqualTo(200);
		assertThat(this.recorder.runs(this.run)).isEqualTo(3);
	}

	@Test
	void missingOrMalformedKeysAre400() {
		Response missing = post("/idem/orders", "{}");
		assertThat(missing.status()).isEqualTo(400);
		assertThat(missing.problemType()).isEqualTo(SubmitProblem.IDEMPOTENCY_KEY_MISSING.type().toString());
		for (String malformed : List.of("", "\"\"", "x".repeat(10_000), "a\tb", "a b", "\"unterminated", "a\"b",
				"\"" + "x".repeat(256) + "\"")) {
			Response answer = idem("/idem/orders", "{}", malformed);
			assertThat(answer.status()).as("'%s'", malformed.length() > 20 ? malformed.length() + " chars" : malformed)
				.isEqualTo(400);
			assertThat(answer.problemType()).isEqualTo(SubmitProblem.IDEMPOTENCY_KEY_MALFORMED.type().toString());
		}
		assertThat(idem("/idem/orders", "{}", "x".repeat(255)).status()).isEqualTo(201);
		assertThat(this.recorder.runs(this.run)).isEqualTo(1);
	}

	@Test
	void a5xxOrAnExceptionReleasesTheKeySoTheClientMayRetry() {
		String key = "retry-" + this.run;
		assertThat(idem("/idem/fail?status=503", "{}", key).status()).isEqualTo(503);
		assertThat(idem("/idem/fail?status=503", "{}", key).status()).isEqualTo(503);
		assertThat(this.recorder.runs(this.run)).isEqualTo(2);

		String thrown = "thrown-" + this.run;
		assertThat(idem("/idem/fail?status=0", "{}", thrown).status()).isEqualTo(500);
		assertThat(idem("/idem/fail?status=0", "{}", thrown).status()).isEqualTo(500);
		assertThat(this.recorder.runs(this.run)).isEqualTo(4);
	}

	@Test
	void a4xxIsStoredAndReplayed() {
		String key = "client-error-" + this.run;
		Response first = idem("/idem/fail?status=409", "{}", key);
		Response replay = idem("/idem/fail?status=409", "{}", key);
		assertThat(replay.status()).isEqualTo(409);
		assertThat(replay.body()).isEqualTo(first.body());
		assertThat(replay.header(IdempotencyGuard.REPLAYED_HEADER)).isEqualTo("true");
		assertThat(this.recorder.runs(this.run)).isEqualTo(1);
	}

	@Test
	void aBodyThatIsNotJsonIsFingerprintedByItsBytes() {
		String key = "text-" + this.run;
		Response first = this.client.send(this.client.request("/idem/orders", "not { json", "X-User", this.user,
				"X-Run", this.run, "Idempotency-Key", key, "Content-Type", "text/plain"));
		assertThat(first.status()).isEqualTo(201);
		Response replay = this.client.send(this.client.request("/idem/orders", "not { json", "X-User", this.user,
				"X-Run", this.run, "Idempotency-Key", key, "Content-Type", "text/plain"));
		assertThat(replay.bytes()).isEqualTo(first.bytes());
		assertThat(this.recorder.runs(this.run)).isEqualTo(1);
	}

	@Test
	void aClassAnnotationProtectsItsHandlersAndAMethodAnnotationReplacesIt() {
		assertThat(post("/class/inherited", "").status()).isEqualTo(400);
		assertThat(idem("/class/inherited", "", "c-" + this.run).status()).isEqualTo(200);
		assertThat(post("/class/own", "").status()).as("LOCK needs no key").isEqualTo(200);
	}

	private Response lock(String body) {
		return post("/lock/orders", body);
	}

	private Response lockGated(String body) {
		return this.client.post("/lock/orders", body, "X-User", this.user, "X-Run", this.run, "X-Gate", "true");
	}

	private Response post(String path, String body) {
		return this.client.post(path, body, "X-User", this.user, "X-Run", this.run);
	}

	private Response idem(String path, String body, String key) {
		return this.client.post(path, body, "X-User", this.user, "X-Run", this.run, "Idempotency-Key", key);
	}

	private Response issueToken(String operation) {
		return this.client.post("/dedup/tokens?operation=" + java.net.URLEncoder.encode(operation,
				java.nio.charset.StandardCharsets.UTF_8), "", "X-User", this.user);
	}

	private Response submitWithToken(String path, String token) {
		return this.client.post(path, "{}", "X-User", this.user, "X-Run", this.run, "Submit-Token", token);
	}

	private static Map<Integer, Long> statuses(List<Response> responses) {
		return responses.stream().collect(Collectors.groupingBy(Response::status, Collectors.counting()));
	}

}
