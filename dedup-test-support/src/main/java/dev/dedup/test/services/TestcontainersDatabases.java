package dev.dedup.test.services;

import org.jspecify.annotations.Nullable;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * TestMariaDb's and TestPostgres' last resort: plain containers, so no Testcontainers database module is
 * needed. Testcontainers is an optional dependency, so {@link Docker} is only loaded after
 * {@link #unavailableReason()} found it.
 */
final class TestcontainersDatabases {

	private TestcontainersDatabases() {
	}

	/** Why no container can be started, or null if one can. */
	static @Nullable String unavailableReason() {
		return TestcontainersRedis.unavailableReason();
	}

	static TestDatabase mysql() {
		return Docker.mysql();
	}

	static TestDatabase postgres() {
		return Docker.postgres();
	}

	private static final class Docker {

		@SuppressWarnings("resource")
		static TestDatabase mysql() {
			GenericContainer<?> container = new GenericContainer<>(DockerImageName.parse("mysql:8.4"))
				.withEnv("MYSQL_ALLOW_EMPTY_PASSWORD", "yes")
				.withEnv("MYSQL_DATABASE", "test")
				.withExposedPorts(TestMariaDb.DEFAULT_PORT)
				.waitingFor(Wait.forLogMessage(".*ready for connections.*port: 3306.*", 1));
			container.start();
			int port = container.getMappedPort(TestMariaDb.DEFAULT_PORT);
			return new TestDatabase("jdbc:mysql://" + container.getHost() + ":" + port
					+ "/test?user=root&password=&allowPublicKeyRetrieval=true", container.getHost(), port,
					"Testcontainers (mysql:8.4)");
		}

		@SuppressWarnings("resource")
		static TestDatabase postgres() {
			GenericContainer<?> container = new GenericContainer<>(DockerImageName.parse("postgres:15-alpine"))
				.withEnv("POSTGRES_HOST_AUTH_METHOD", "trust")
				.withEnv("POSTGRES_DB", "test")
				.withExposedPorts(TestPostgres.DEFAULT_PORT)
				.waitingFor(Wait.forLogMessage(".*database system is ready to accept connections.*", 2));
			container.start();
			int port = container.getMappedPort(TestPostgres.DEFAULT_PORT);
			return new TestDatabase("jdbc:postgresql://" + container.getHost() + ":" + port + "/test?user=postgres",
					container.getHost(), port, "Testcontainers (postgres:15-alpine)");
		}

	}

}
