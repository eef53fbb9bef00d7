package dev.dedup.test.services;

import java.net.URI;
import java.time.Duration;

import org.jspecify.annotations.Nullable;

/**
 * The Redis that tests use, found once per JVM in this order:
 * <ol>
 * <li>the URL in system property or environment variable {@value #URL_VARIABLE}, used as given;</li>
 * <li>{@code redis://127.0.0.1:6379} if a server there answers PING;</li>
 * <li>a Testcontainers {@code redis:7-alpine} container, if Testcontainers is on the class path and Docker
 * is available;</li>
 * <li>otherwise the test fails with an {@link AssertionError} saying how to start Redis. It never skips:
 * a skipped store test reads like a passed one.</li>
 * </ol>
 * The server is shared, possibly with other test JVMs: use unique keys, never FLUSHALL.
 */
public final class TestRedis {

	/** System property or environment variable naming the Redis to use, e.g. {@code redis://host:6379}. */
	public static final String URL_VARIABLE = "DEDUP_TEST_REDIS_URL";

	static final String LOCAL_HOST = "127.0.0.1";

	static final int DEFAULT_PORT = 6379;

	private static final Duration PING_TIMEOUT = Duration.ofSeconds(1);

	private static final String HOW_TO_START = "Start one with: redis-server --daemonize yes --bind 127.0.0.1 -::1 "
			+ "--port 6379 --save \"\" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log "
			+ "(apt-get install redis-server), or set " + URL_VARIABLE + "=redis://host:port";

	private static @Nullable TestRedis resolved;

	private final String host;

	private final int port;

	private final String url;

	private final String source;

	private TestRedis(String host, int port, String url, String source) {
		this.host = host;
		this.port = port;
		this.url = url;
		this.source = source;
	}

	/**
	 * The Redis for this JVM's tests, resolved on first use.
	 * @throws AssertionError if no Redis can be found, with instructions to start one
	 */
	public static synchronized TestRedis get() {
		if (resolved == null) {
			resolved = resolve();
		}
		return resolved;
	}

	/** Host name or address, e.g. {@code 127.0.0.1}. */
	public String host() {
		return this.host;
	}

	public int port() {
		return this.port;
	}

	/** A {@code redis://} URL (with credentials and database when {@value #URL_VARIABLE} had them). */
	public String url() {
		return this.url;
	}

	/** Where this Redis came from, for log lines: the variable, the local server or Testcontainers. */
	public String source() {
		return this.source;
	}

	@Override
	public String toString() {
		return "TestRedis[" + this.host + ":" + this.port + " from " + this.source + "]";
	}

	private static TestRedis resolve() {
		return resolve(configuredUrl(), DEFAULT_PORT);
	}

	static TestRedis resolve(@Nullable String configured, int localPort) {
		if (configured != null) {
			return fromUrl(configured);
		}
		if (RedisPing.answers(LOCAL_HOST, localPort, PING_TIMEOUT)) {
			return new TestRedis(LOCAL_HOST, localPort, "redis://" + LOCAL_HOST + ":" + localPort,
					"the server on " + LOCAL_HOST + ":" + localPort);
		}
		String dockerProblem = TestcontainersRedis.unavailableReason();
		if (dockerProblem == null) {
			TestcontainersRedis container = TestcontainersRedis.start();
			return new TestRedis(container.host(), container.port(),
					"redis://" + container.host() + ":" + container.port(), "Testcontainers (redis:7-alpine)");
		}
		throw new AssertionError("No Redis for tests: " + URL_VARIABLE + " is not set, nothing answers PING on "
				+ LOCAL_HOST + ":" + localPort + ", and " + dockerProblem + ". " + HOW_TO_START);
	}

	private static @Nullable String configuredUrl() {
		String value = System.getProperty(URL_VARIABLE);
		if (value == null || value.isBlank()) {
			value = System.getenv(URL_VARIABLE);
		}
		return (value == null || value.isBlank()) ? null : value.trim();
	}

	static TestRedis fromUrl(String url) {
		URI uri;
		try {
			uri = URI.create(url);
		}
		catch (IllegalArgumentException ex) {
			throw new AssertionError(URL_VARIABLE + " is not a URL: '" + url + "'", ex);
		}
		if (!"redis".equals(uri.getScheme()) && !"rediss".equals(uri.getScheme()) || uri.getHost() == null) {
			throw new AssertionError(URL_VARIABLE + " must look like redis://host:port, but is '" + url + "'");
		}
		int port = (uri.getPort() != -1) ? uri.getPort() : DEFAULT_PORT;
		return new TestRedis(uri.getHost(), port, url, URL_VARIABLE);
	}

}
