package dev.dedup.test.services;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;

/**
 * A {@code redis-server} child process of this JVM on its own loopback port, for tests that must stop and
 * restart the store ("Redis down, then back") without touching the shared server. It lives in a temporary
 * directory and keeps its data across {@link #stop()} and {@link #start()} in an append-only file synced on
 * every write, like a production Redis with persistence: an outage, not a data loss. (Its script cache,
 * like any Redis's, does not survive.)
 *
 * <pre>
 * try (PrivateRedisServer redis = new PrivateRedisServer()) {
 * 	… connect to redis.url() …
 * 	redis.stop();   // every command now fails
 * 	redis.start();  // same port, same data
 * 	redis.freeze(); // SIGSTOP: connections stay open, nothing answers (a hang, not a refusal)
 * 	redis.thaw();   // SIGCONT: answers again, including what was sent meanwhile
 * 	redis.kill();   // SIGKILL: a crash; start() brings it back with every acknowledged write
 * }
 * </pre>
 *
 * Not thread safe: one test drives it.
 */
public final class PrivateRedisServer implements AutoCloseable {


	private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(15);

	private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(10);

	private static final int PORT_ATTEMPTS = 3;

	private final Path executable;

	private final Path directory;

	private int port;

	private final List<String> extraArguments;

	private @Nullable Process process;

	private final Thread reaper = new Thread(this::killQuietly, "private-redis-reaper");

	/**
	 * Starts a server on a free loopback port and waits until it answers PING.
	 * @throws AssertionError if {@code redis-server} is not installed or does not start
	 */
	public PrivateRedisServer() {
		this(List.of());
	}

	/**
	 * As {@link #PrivateRedisServer()}, with more {@code redis-server} arguments (e.g. {@code --cluster-enabled
	 * yes}); relative file names in them resolve in the server's own directory.
	 */
	public PrivateRedisServer(List<String> extraArguments) {
		this.extraArguments = List.copyOf(extraArguments);
		this.executable = RedisProcesses.findExecutable("its own Redis");
		this.directory = RedisProcesses.createDirectory("dedup-private-redis-");
		Runtime.getRuntime().addShutdownHook(this.reaper);
		AssertionError lastFailure = new AssertionError("redis-server did not start");
		for (int attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
			this.port = Ports.freePort();
			try {
				start();
				return;
			}
			catch (AssertionError ex) {
				// Most likely another process took the port between freePort() and the bind: try another.
				lastFailure = ex;
			}
		}
		close();
		throw lastFailure;
	}

	public String host() {
		return TestRedis.LOCAL_HOST;
	}

	public int port() {
		return this.port;
	}

	/** {@code redis://127.0.0.1:<port>}. */
	public String url() {
		return "redis://" + host() + ":" + this.port;
	}

	public boolean isRunning() {
		return this.process != null && this.process.isAlive();
	}

	/**
	 * Starts the server (again, after {@link #stop()}) on the same port, with the data it had, and waits
	 * until it answers PING. Does nothing if it is running.
	 * @throws AssertionError if it does not come up
	 */
	public void start() {
		if (isRunning()) {
			return;
		}
		Path log = this.directory.resolve("redis.log");
		List<String> command = new ArrayList<>(List.of(this.executable.toString(), "--port", String.valueOf(this.port),
				"--bind", host(), "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--daemonize", "no", "--dir",
				this.directory.toString()));
		command.addAll(this.extraArguments);
		ProcessBuilder builder = new ProcessBuilder(command).directory(this.directory.toFile())
			.redirectErrorStream(true)
			.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
		Process started;
		try {
			started = builder.start();
		}
		catch (IOException ex) {
			throw new AssertionError("Could not run " + this.executable + ": " + ex.getMessage(), ex);
		}
		this.process = started;
		awaitPong(started, log);
	}

	/**
	 * Stops the server (SIGTERM, then SIGKILL if it lingers) and waits until the process has exited, so the
	 * port refuses connections when this returns. Does nothing if it is not running.
	 */
	public void stop() {
		Process running = this.process;
		if (running == null) {
			return;
		}
		if (running.isAlive()) {
			// A frozen server would not act on SIGTERM until it is let go on.
			thawQuietly(running);
		}
		running.destroy();
		try {
			if (!running.waitFor(SHUTDOWN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
				running.destroyForcibly().waitFor(SHUTDOWN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
			}
		}
		catch (InterruptedException ex) {
			running.destroyForcibly();
			Thread.currentThread().interrupt();
		}
		this.process = null;
	}

	/**
	 * Freezes the server with SIGSTOP: it keeps its port and its connections, and the kernel still accepts
	 * new ones, but nothing is answered until {@link #thaw()} — what a hung store looks like to a client.
	 */
	public void freeze() {
		signal("STOP");
	}

	/** Lets a {@linkplain #freeze() frozen} server go on (SIGCONT). */
	public void thaw() {
		signal("CONT");
	}

	/**
	 * Kills the server with SIGKILL (a crash, no shutdown) and waits until it is gone. Every write it
	 * acknowledged is in its append-only file, so {@link #start()} brings it back with its data.
	 */
	public void kill() {
		Process running = this.process;
		if (running == null) {
			return;
		}
		running.destroyForcibly();
		try {
			running.waitFor(SHUTDOWN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		this.process = null;
	}

	private void signal(String name) {
		Process running = this.process;
		if (running == null) {
			throw new IllegalStateException("redis-server on port " + this.port + " is not running");
		}
		try {
			Process kill = new ProcessBuilder("kill", "-" + name, String.valueOf(running.pid())).inheritIO().start();
			if (!kill.waitFor(SHUTDOWN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS) || kill.exitValue() != 0) {
				throw new AssertionError("kill -" + name + " " + running.pid() + " failed");
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new AssertionError("Interrupted while signalling redis-server", ex);
		}
	}

	/** Stops the server and deletes its directory. */
	@Override
	public void close() {
		stop();
		RedisProcesses.deleteDirectory(this.directory);
		try {
			Runtime.getRuntime().removeShutdownHook(this.reaper);
		}
		catch (IllegalStateException ex) {
			// The JVM is shutting down already; the hook runs anyway and finds nothing to kill.
		}
	}

	@Override
	public String toString() {
		return "PrivateRedisServer[" + url() + (isRunning() ? ", running" : ", stopped") + "]";
	}

	private void awaitPong(Process started, Path log) {
		long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
		while (System.nanoTime() < deadline) {
			if (RedisPing.answers(host(), this.port, Duration.ofMillis(200))) {
				return;
			}
			if (!started.isAlive()) {
				this.process = null;
				throw new AssertionError("redis-server on port " + this.port + " exited with "
						+ started.exitValue() + ":\n" + RedisProcesses.tail(log));
			}
			pause();
		}
		stop();
		throw new AssertionError("redis-server on port " + this.port + " did not answer PING within "
				+ STARTUP_TIMEOUT.toSeconds() + " s:\n" + RedisProcesses.tail(log));
	}

	private static void thawQuietly(Process running) {
		try {
			new ProcessBuilder("kill", "-CONT", String.valueOf(running.pid())).start().waitFor(5, TimeUnit.SECONDS);
		}
		catch (IOException ex) {
			// stop() falls back to SIGKILL.
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	private void killQuietly() {
		Process running = this.process;
		if (running != null) {
			running.destroyForcibly();
		}
	}

	private static void pause() {
		try {
			Thread.sleep(20);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new AssertionError("Interrupted while waiting for redis-server", ex);
		}
	}

}
