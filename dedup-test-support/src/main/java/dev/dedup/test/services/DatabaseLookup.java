package dev.dedup.test.services;

import java.time.Duration;
import java.util.function.IntFunction;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;

/**
 * How tests find one kind of database, the steps {@link TestMariaDb} and {@link TestPostgres} share: a
 * configured JDBC URL, else a local server that answers, else a Testcontainers container, else an
 * {@link AssertionError} that says how to start one. Never a skip.
 */
record DatabaseLookup(String name, String urlVariable, String scheme, int defaultPort, String howToStart,
		Ping ping, Supplier<TestDatabase> container, IntFunction<String> localUrl) {

	private static final Duration PING_TIMEOUT = Duration.ofSeconds(2);

	/** Whether a server of this kind answers on host:port. */
	@FunctionalInterface
	interface Ping {

		boolean answers(String host, int port, Duration timeout);

	}

	TestDatabase resolve(@Nullable String configured, int localPort) {
		if (configured != null) {
			return TestDatabase.fromUrl(this.urlVariable, this.scheme, configured, this.defaultPort);
		}
		if (this.ping.answers(TestRedis.LOCAL_HOST, localPort, PING_TIMEOUT)) {
			return new TestDatabase(this.localUrl.apply(localPort), TestRedis.LOCAL_HOST, localPort,
					"the server on " + TestRedis.LOCAL_HOST + ":" + localPort);
		}
		String dockerProblem = TestcontainersDatabases.unavailableReason();
		if (dockerProblem == null) {
			return this.container.get();
		}
		throw new AssertionError("No " + this.name + " for tests: " + this.urlVariable + " is not set, nothing "
				+ "answers on " + TestRedis.LOCAL_HOST + ":" + localPort + ", and " + dockerProblem + ". "
				+ this.howToStart);
	}

}
