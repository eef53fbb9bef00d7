package dev.dedup.test.services;

import org.jspecify.annotations.Nullable;

/**
 * The PostgreSQL that tests use, found once per JVM in this order:
 * <ol>
 * <li>the JDBC URL in system property or environment variable {@value #URL_VARIABLE}, used as given (with
 * its credentials, e.g. {@code jdbc:postgresql://host:5432/test?user=postgres&password=secret});</li>
 * <li>{@code jdbc:postgresql://127.0.0.1:5432/test} as postgres (trust authentication), if a server there
 * answers;</li>
 * <li>a Testcontainers {@code postgres:15-alpine} container, if Testcontainers is on the class path and
 * Docker is available;</li>
 * <li>otherwise the test fails with an {@link AssertionError} saying how to start the server. It never
 * skips.</li>
 * </ol>
 * The database is shared, possibly with other test JVMs: use tables of your own, with unique names.
 */
public final class TestPostgres {

	/** System property or environment variable naming the database to use, as a JDBC URL. */
	public static final String URL_VARIABLE = "DEDUP_TEST_POSTGRES_URL";

	static final int DEFAULT_PORT = 5432;

	static final String HOW_TO_START = "Start PostgreSQL with: pg_ctlcluster --skip-systemctl-redirect "
			+ "$(ls /etc/postgresql) main start (apt-get install postgresql; trust authentication for postgres on "
			+ "127.0.0.1, database 'test'), or set " + URL_VARIABLE
			+ "=jdbc:postgresql://host:5432/test?user=…&password=…";

	private static final DatabaseLookup LOOKUP = new DatabaseLookup("PostgreSQL", URL_VARIABLE, "postgresql", DEFAULT_PORT,
			HOW_TO_START, DatabasePing::postgresAnswers, TestcontainersDatabases::postgres, TestPostgres::localUrl);

	private static @Nullable TestDatabase resolved;

	private TestPostgres() {
	}

	/**
	 * The database for this JVM's tests, resolved on first use.
	 * @throws AssertionError if none can be found, with instructions to start one
	 */
	public static synchronized TestDatabase get() {
		if (resolved == null) {
			resolved = resolve(TestDatabase.configured(URL_VARIABLE), DEFAULT_PORT);
		}
		return resolved;
	}

	static TestDatabase resolve(@Nullable String configured, int localPort) {
		return LOOKUP.resolve(configured, localPort);
	}

	static String localUrl(int port) {
		return "jdbc:postgresql://" + TestRedis.LOCAL_HOST + ":" + port + "/test?user=postgres";
	}

}
