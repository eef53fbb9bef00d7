package dev.dedup.test.services;

import org.jspecify.annotations.Nullable;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * TestRedis' last resort. Testcontainers is an optional dependency, so this class is only loaded after
 * {@link #unavailableReason()} found it on the class path.
 */
final class TestcontainersRedis {

	private static final String DOCKER_CLIENT_FACTORY = "org.testcontainers.DockerClientFactory";

	private static final int REDIS_PORT = 6379;

	private final String host;

	private final int port;

	private TestcontainersRedis(String host, int port) {
		this.host = host;
		this.port = port;
	}

	/** Why no container can be started, or null if one can. */
	static @Nullable String unavailableReason() {
		if (!isPresent(DOCKER_CLIENT_FACTORY)) {
			return "Testcontainers (org.testcontainers:testcontainers) is not on the test class path";
		}
		return Docker.isAvailable() ? null : "Docker is not available to Testcontainers";
	}

	/** Starts a container that lives until the JVM exits (Testcontainers' reaper removes it). */
	static TestcontainersRedis start() {
		return Docker.start();
	}

	String host() {
		return this.host;
	}

	int port() {
		return this.port;
	}

	private static boolean isPresent(String className) {
		try {
			Class.forName(className, false, TestcontainersRedis.class.getClassLoader());
			return true;
		}
		catch (ClassNotFoundException | LinkageError ex) {
			return false;
		}
	}

	/** Kept apart so that the presence check above never links Testcontainers classes. */
	private static final class Docker {

		@SuppressWarnings("resource")
		static TestcontainersRedis start() {
			GenericContainer<?> container = new GenericContainer<>(DockerImageName.parse("redis:7-alpine"))
				.withExposedPorts(REDIS_PORT);
			container.start();
			return new TestcontainersRedis(container.getHost(), container.getMappedPort(REDIS_PORT));
		}

		static boolean isAvailable() {
			try {
				return DockerClientFactory.instance().isDockerAvailable();
			}
			catch (RuntimeException | LinkageError ex) {
				return false;
			}
		}

	}

}
