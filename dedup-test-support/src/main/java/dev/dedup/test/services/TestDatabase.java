package dev.dedup.test.services;

import java.net.URI;

import org.jspecify.annotations.Nullable;

/**
 * A database server for tests, as {@link TestMariaDb} or {@link TestPostgres} found it: a JDBC URL that
 * carries the user (and password) itself, so a plain {@code DriverManager.getConnection(url)} or a pool
 * given only the URL connects. No driver or Spring is needed to find it.
 */
public final class TestDatabase {

	private final String jdbcUrl;

	private final String host;

	private final int port;

	private final String source;

	TestDatabase(String jdbcUrl, String host, int port, String source) {
		this.jdbcUrl = jdbcUrl;
		this.host = host;
		this.port = port;
		this.source = source;
	}

	/** The JDBC URL, e.g. {@code jdbc:mysql://127.0.0.1:3306/test?user=root&password=}. */
	public String jdbcUrl() {
		return this.jdbcUrl;
	}

	/** The JDBC URL with more driver parameters, e.g. {@code useAffectedRows=true}. */
	public String jdbcUrl(String parameters) {
		return this.jdbcUrl + (this.jdbcUrl.contains("?") ? "&" : "?") + parameters;
	}

	public String host() {
		return this.host;
	}

	public int port() {
		return this.port;
	}

	/** Where this database came from, for log lines: the variable, the local server or Testcontainers. */
	public String source() {
		return this.source;
	}

	@Override
	public String toString() {
		return "TestDatabase[" + this.host + ":" + this.port + " from " + this.source + "]";
	}

	/** Host and port of a {@code jdbc:vendor://host:port/…} URL given in {@code variable}. */
	static TestDatabase fromUrl(String variable, String scheme, String url, int defaultPort) {
		if (!url.startsWith("jdbc:" + scheme + "://")) {
			throw new AssertionError(variable + " must look like jdbc:" + scheme + "://host:port/database?user=…, "
					+ "but is '" + url + "'");
		}
		URI uri;
		try {
			uri = URI.create(url.substring("jdbc:".length()));
		}
		catch (IllegalArgumentException ex) {
			throw new AssertionError(variable + " is not a JDBC URL: '" + url + "'", ex);
		}
		@Nullable String host = uri.getHost();
		if (host == null) {
			throw new AssertionError(variable + " has no host: '" + url + "'");
		}
		return new TestDatabase(url, host, uri.getPort() != -1 ? uri.getPort() : defaultPort, variable);
	}

	static @Nullable String configured(String variable) {
		String value = System.getProperty(variable);
		if (value == null || value.isBlank()) {
			value = System.getenv(variable);
		}
		return (value == null || value.isBlank()) ? null : value.trim();
	}

}
