package dev.dedup.test.services;

import org.jspecify.annotations.Nullable;

/**
 * The MySQL-protocol database (MariaDB or MySQL) that tests use, found once per JVM in this order:
 * <ol>
 * <li>the JDBC URL in system property or environment variable {@value #URL_VARIABLE}, used as given (with
 * its credentials, e.g. {@code jdbc:mysql://host:3306/test?user=root&password=secret});</li>
 * <li>{@code jdbc:mysql://127.0.0.1:3306/test} as root with an empty password, if a server there greets;</li>
 * <li>a Testcontainers {@code mysql:8.4} container, if Testcontainers is on the class path and Docker is
 * available;</li>
 * <li>otherwise the test fails with an {@link AssertionError} saying how to start the server. It never
 * skips.</li>
 * </ol>
 * The database is shared, possibly with other test JVMs: use tables of your own, with unique names.
 */
public final class TestMariaDb {

	/** System property or environment variable naming the database to use, as a JDBC URL. */
	public static final String URL_VARIABLE = "DEDUP_TEST_MYSQL_URL";

	static final int DEFAULT_PORT = 3306;

	static final String HOW_TO_START = "Start MariaDB with: start-stop-daemon --start --oknodo --background --exec "
			+ "/usr/sbin/mariadbd (apt-get install mariadb-server; root may log in over TCP without password, "
			+ "database 'test'), or set " + URL_VARIABLE + "=jdbc:mysql://host:3306/test?user=…&password=…";

	private static final DatabaseLookup LOOKUP = new DatabaseLookup("MariaDB/MySQL", URL_VARIABLE, "mysql", DEFAULT_PORT,
			HOW_TO_START, DatabasePing::mysqlAnswers, TestcontainersDatabases::mysql, TestMariaDb::localUrl);

	private static @Nullable TestDatabase resolved;

	private TestMariaDb() {
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
		return "jdbc:mysql://" + TestRedis.LOCAL_HOST + ":" + port + "/test?user=root&password=";
	}

}
