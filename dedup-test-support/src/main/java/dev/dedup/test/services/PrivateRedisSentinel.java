package dev.dedup.test.services;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.jspecify.annotations.Nullable;

/**
 * A Redis master, one replica ({@code --replicaof}) and one Sentinel monitoring them with a quorum of 1, all
 * child processes of this JVM on free loopback ports: what a store must survive when its master dies and
 * Sentinel promotes the replica. The Sentinel declares the master down after one second without an answer,
 * so a {@link #killMasterAndAwaitFailover() failover} takes two to three seconds.
 *
 * <pre>
 * try (PrivateRedisSentinel redis = new PrivateRedisSentinel()) {
 * 	… new RedisSentinelConfiguration().master(redis.masterName()).sentinel(redis.sentinelHost(), redis.sentinelPort()) …
 * 	redis.cutReplication();             // optional: the replica gets nothing more (a lagging replica)
 * 	redis.killMasterAndAwaitFailover(); // SIGKILL, then wait until the Sentinel names the replica
 * }
 * </pre>
 *
 * The servers keep no data on disk (no RDB, no append-only file): a killed master never comes back here, and
 * what survives a failover is exactly what had reached the replica. Not thread safe: one test drives it.
 */
public final class PrivateRedisSentinel implements AutoCloseable {

	/** The name the Sentinel monitors the master under. */
	public static final String MASTER_NAME = "dedup-master";


	private static final Duration DOWN_AFTER = Duration.ofSeconds(1);

	private static final Duration FAILOVER_TIMEOUT = Duration.ofSeconds(5);

	private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(15);

	private static final Duration FAILOVER_WAIT = Duration.ofSeconds(20);

	private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(10);

	private static final Duration SOCKET_TIMEOUT = Duration.ofSeconds(2);

	private static final int PORT_ATTEMPTS = 3;

	/** Every server of the set: the first master and the first replica, whatever their roles are now. */
	private final List<PrivateRedisServer> servers = new ArrayList<>();

	private final Path executable;

	private final Path directory;

	private int sentinelPort;

	private @Nullable Process sentinel;

	private final Thread reaper = new Thread(this::killSentinelQuietly, "private-redis-sentinel-reaper");

	/**
	 * Starts the master and the replica, waits until the replica is in sync, then starts the Sentinel and
	 * waits until it knows both.
	 * @throws AssertionError if {@code redis-server} is not installed or the set does not come up
	 */
	public PrivateRedisSentinel() {
		this.executable = RedisProcesses.findExecutable("its own Redis and Sentinel");
		this.directory = RedisProcesses.createDirectory("dedup-private-sentinel-");
		Runtime.getRuntime().addShutdownHook(this.reaper);
		try {
			// Persistence off: only what reached the replica may survive the master. A full sync without the
			// 5 s that Redis 7 waits by default for more replicas to join it.
			PrivateRedisServer master = new PrivateRedisServer(
					List.of("--appendonly", "no", "--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0"));
			this.servers.add(master);
			PrivateRedisServer replica = new PrivateRedisServer(List.of("--appendonly", "no",
					"--repl-diskless-sync-delay", "0", "--replicaof", master.host(), String.valueOf(master.port())));
			this.servers.add(replica);
			// Before the Sentinel starts: its first INFO of the master then lists the replica. Started earlier, it
			// could learn of the replica only at its next INFO, ten seconds later.
			awaitCondition("the replica on port " + replica.port() + " to be in sync with the master", STARTUP_TIMEOUT,
					() -> replicaInSync(replica.port()));
			// In sync is not yet streaming: after a diskless sync the master sends a replica nothing until the
			// replica's first REPLCONF ACK, which it sends once a second. Until then every write would be lost.
			awaitCondition("the replica on port " + replica.port() + " to acknowledge a write", STARTUP_TIMEOUT,
					() -> replicaAcknowledgesAWrite(master.port()));
			startSentinel(master.port());
			awaitCondition("the Sentinel to know the master and its replica", STARTUP_TIMEOUT,
					() -> sentinelKnows(master.port(), replica.port()));
		}
		catch (RuntimeException | AssertionError ex) {
			close();
			throw ex;
		}
	}

	public String sentinelHost() {
		return TestRedis.LOCAL_HOST;
	}

	public int sentinelPort() {
		return this.sentinelPort;
	}

	/** {@code host:port} of the Sentinel, as {@code RedisSentinelConfiguration} takes it. */
	public String sentinelNode() {
		return sentinelHost() + ":" + this.sentinelPort;
	}

	public String masterName() {
		return MASTER_NAME;
	}

	/** The port of the server the Sentinel names master now ({@code SENTINEL get-master-addr-by-name}). */
	public int masterPort() {
		return masterPortOrMinusOne();
	}

	/** The server the Sentinel names master now. */
	public PrivateRedisServer master() {
		return server(masterPort());
	}

	/** A server that is a replica now (before a failover, the only one; after it, the old, dead master). */
	public PrivateRedisServer replica() {
		int master = masterPort();
		return this.servers.stream()
			.filter(server -> server.port() != master)
			.findFirst()
			.orElseThrow(() -> new IllegalStateException("No replica in " + this));
	}

	/**
	 * Cuts the replica off the master and keeps it off: the master gets a password (the connections open now
	 * stay authenticated: the Sentinel's, a client's) and drops its replica's link, whose reconnects then fail.
	 * Writes the master acknowledges from now on reach no replica — a replica lagging behind, made certain —
	 * so a {@linkplain #killMaster() crash} loses them. Waits until the replica reports its link down.
	 */
	public void cutReplication() {
		PrivateRedisServer master = master();
		PrivateRedisServer replica = replica();
		try {
			// One connection: the password does not apply to it, so it may go on to drop the replica.
			commands(master.host(), master.port(),
					List.of(new String[] { "CONFIG", "SET", "requirepass", "cut-off-" + System.nanoTime() },
							new String[] { "CLIENT", "KILL", "TYPE", "replica" }));
		}
		catch (IOException ex) {
			throw new AssertionError("Could not cut the replica off the master on port " + master.port(), ex);
		}
		awaitCondition("the replica on port " + replica.port() + " to lose its master", STARTUP_TIMEOUT,
				() -> !"up".equals(infoReplication(replica.port()).get("master_link_status")));
	}

	/** Kills the current master with SIGKILL (a crash: nothing more reaches the replica) and waits until it is gone. */
	public void killMaster() {
		master().kill();
	}

	/**
	 * Kills the master ({@link #killMaster()}) and waits until the Sentinel has promoted the replica:
	 * {@code SENTINEL get-master-addr-by-name} names it, and it reports {@code role:master}.
	 * @return the port of the new master
	 * @throws AssertionError if that does not happen within 20 s
	 */
	public int killMasterAndAwaitFailover() {
		int old = masterPort();
		killMaster();
		return awaitFailover(old);
	}

	/**
	 * Waits until the Sentinel names another master than the one on {@code oldMasterPort}, and that server
	 * reports {@code role:master} (it accepts writes).
	 * @return the port of the new master
	 */
	public int awaitFailover(int oldMasterPort) {
		awaitCondition("the Sentinel to fail over from the master on port " + oldMasterPort, FAILOVER_WAIT, () -> {
			int now = masterPortOrMinusOne();
			return now != oldMasterPort && now != -1 && role(now).equals("master");
		});
		return masterPort();
	}

	/** Stops the Sentinel and both servers, and deletes their directories. */
	@Override
	public void close() {
		stopSentinel();
		this.servers.forEach(PrivateRedisServer::close);
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
		return "PrivateRedisSentinel[sentinel " + sentinelNode() + ", servers " + this.servers + "]";
	}

	private PrivateRedisServer server(int port) {
		return this.servers.stream()
			.filter(server -> server.port() == port)
			.findFirst()
			.orElseThrow(() -> new IllegalStateException("The Sentinel names a master on port " + port
					+ " that is none of " + this.servers));
	}

	private void startSentinel(int masterPort) {
		Path executable = this.executable;
		AssertionError lastFailure = new AssertionError("redis-server --sentinel did not start");
		for (int attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
			this.sentinelPort = Ports.freePort();
			// The Sentinel rewrites its configuration file (epochs, known replicas): it must be writable.
			Path config = this.directory.resolve("sentinel-" + this.sentinelPort + ".conf");
			Path log = this.directory.resolve("sentinel-" + this.sentinelPort + ".log");
			String text = String.join("\n", "port " + this.sentinelPort, "bind " + sentinelHost(), "daemonize no",
					"dir " + this.directory, "sentinel monitor " + MASTER_NAME + " " + sentinelHost() + " " + masterPort + " 1",
					"sentinel down-after-milliseconds " + MASTER_NAME + " " + DOWN_AFTER.toMillis(),
					"sentinel failover-timeout " + MASTER_NAME + " " + FAILOVER_TIMEOUT.toMillis(),
					"sentinel parallel-syncs " + MASTER_NAME + " 1", "");
			try {
				Files.writeString(config, text, StandardCharsets.UTF_8);
				this.sentinel = new ProcessBuilder(executable.toString(), config.toString(), "--sentinel")
					.directory(this.directory.toFile())
					.redirectErrorStream(true)
					.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
					.start();
			}
			catch (IOException ex) {
				throw new AssertionError("Could not run " + executable + " --sentinel: " + ex.getMessage(), ex);
			}
			try {
				awaitSentinelPong(log);
				return;
			}
			catch (AssertionError ex) {
				// Most likely another process took the port between freePort() and the bind: try another.
				stopSentinel();
				lastFailure = ex;
			}
		}
		throw lastFailure;
	}

	private void awaitSentinelPong(Path log) {
		long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
		while (System.nanoTime() < deadline) {
			if (RedisPing.answers(sentinelHost(), this.sentinelPort, Duration.ofMillis(200))) {
				return;
			}
			Process started = this.sentinel;
			if (started == null || !started.isAlive()) {
				throw new AssertionError("redis-server --sentinel on port " + this.sentinelPort + " exited:\n" + RedisProcesses.tail(log));
			}
			pause(20);
		}
		throw new AssertionError("redis-server --sentinel on port " + this.sentinelPort + " did not answer PING within "
				+ STARTUP_TIMEOUT.toSeconds() + " s:\n" + RedisProcesses.tail(log));
	}

	private void stopSentinel() {
		Process running = this.sentinel;
		if (running == null) {
			return;
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
		this.sentinel = null;
	}

	private void killSentinelQuietly() {
		Process running = this.sentinel;
		if (running != null) {
			running.destroyForcibly();
		}
	}

	private boolean replicaInSync(int replicaPort) {
		Map<String, String> info = infoReplication(replicaPort);
		return "up".equals(info.get("master_link_status")) && "0".equals(info.get("master_sync_in_progress"));
	}

	/** Whether a write on the master reaches a replica: SET, then WAIT (which asks the replicas for their ACK). */
	private static boolean replicaAcknowledgesAWrite(int masterPort) {
		String key = "dedup-private-sentinel:probe";
		try {
			List<@Nullable Object> replies = commands(TestRedis.LOCAL_HOST, masterPort,
					List.of(new String[] { "SET", key, "1" }, new String[] { "WAIT", "1", "500" },
							new String[] { "DEL", key }));
			return replies.get(1) instanceof Long acknowledged && acknowledged >= 1;
		}
		catch (IOException ex) {
			return false;
		}
	}

	/** Whether the Sentinel names the master and lists the replica as a plain, connected replica. */
	private boolean sentinelKnows(int masterPort, int replicaPort) {
		if (masterPortOrMinusOne() != masterPort) {
			return false;
		}
		Object replicas = sentinelCommand("SENTINEL", "REPLICAS", MASTER_NAME);
		if (!(replicas instanceof List<?> list)) {
			return false;
		}
		for (Object entry : list) {
			if (entry instanceof List<?> fields) {
				Map<String, String> replica = pairs(fields);
				if (String.valueOf(replicaPort).equals(replica.get("port")) && "slave".equals(replica.get("flags"))
						&& "ok".equals(replica.get("master-link-status"))) {
					return true;
				}
			}
		}
		return false;
	}

	private int masterPortOrMinusOne() {
		Object address = sentinelCommand("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME);
		if (address instanceof List<?> hostAndPort && hostAndPort.size() == 2) {
			return Integer.parseInt(String.valueOf(hostAndPort.get(1)));
		}
		return -1;
	}

	private @Nullable Object sentinelCommand(String... command) {
		try {
			return command(sentinelHost(), this.sentinelPort, command);
		}
		catch (IOException ex) {
			throw new UncheckedIOException("The Sentinel on port " + this.sentinelPort + " did not answer "
					+ String.join(" ", command), ex);
		}
	}

	/** The role a server reports ({@code master}, {@code slave}), or {@code unreachable}. */
	private static String role(int port) {
		return Objects.requireNonNullElse(infoReplication(port).get("role"), "unreachable");
	}

	private static Map<String, String> infoReplication(int port) {
		try {
			Object info = command(TestRedis.LOCAL_HOST, port, "INFO", "replication");
			Map<String, String> fields = new HashMap<>();
			String.valueOf(info).lines().map(String::trim).filter(line -> line.contains(":")).forEach(line -> {
				int colon = line.indexOf(':');
				fields.put(line.substring(0, colon), line.substring(colon + 1));
			});
			return fields;
		}
		catch (IOException ex) {
			return Map.of();
		}
	}

	private static Map<String, String> pairs(List<?> flat) {
		Map<String, String> map = new HashMap<>();
		for (int i = 0; i + 1 < flat.size(); i += 2) {
			map.put(String.valueOf(flat.get(i)), String.valueOf(flat.get(i + 1)));
		}
		return map;
	}

	/**
	 * One command in RESP over a fresh socket, so the test support needs no client library: the reply as a
	 * String (simple or bulk), Long, List of those, or null.
	 * @throws IOException if the server is unreachable or answers an error
	 */
	private static @Nullable Object command(String host, int port, String... command) throws IOException {
		return commands(host, port, List.<String[]>of(command)).get(0);
	}

	/** Several commands on one connection, in order: their replies. */
	private static List<@Nullable Object> commands(String host, int port, List<String[]> commands) throws IOException {
		int millis = (int) SOCKET_TIMEOUT.toMillis();
		try (Socket socket = new Socket()) {
			socket.connect(new InetSocketAddress(host, port), millis);
			socket.setSoTimeout(millis);
			ByteArrayOutputStream request = new ByteArrayOutputStream();
			for (String[] command : commands) {
				request.writeBytes(("*" + command.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
				for (String part : command) {
					byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
					request.writeBytes(("$" + bytes.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
					request.writeBytes(bytes);
					request.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
				}
			}
			OutputStream out = socket.getOutputStream();
			out.write(request.toByteArray());
			out.flush();
			InputStream in = new BufferedInputStream(socket.getInputStream());
			List<@Nullable Object> replies = new ArrayList<>(commands.size());
			for (int i = 0; i < commands.size(); i++) {
				replies.add(readReply(in));
			}
			return replies;
		}
	}

	private static @Nullable Object readReply(InputStream in) throws IOException {
		int type = in.read();
		String line = readLine(in);
		switch (type) {
			case '+':
				return line;
			case '-':
				throw new IOException("Redis answered: " + line);
			case ':':
				return Long.parseLong(line);
			case '$': {
				int length = Integer.parseInt(line);
				if (length < 0) {
					return null;
				}
				byte[] bytes = in.readNBytes(length + 2);
				if (bytes.length < length + 2) {
					throw new EOFException("Connection closed inside a bulk reply");
				}
				return new String(bytes, 0, length, StandardCharsets.UTF_8);
			}
			case '*': {
				int count = Integer.parseInt(line);
				if (count < 0) {
					return null;
				}
				List<@Nullable Object> items = new ArrayList<>(count);
				for (int i = 0; i < count; i++) {
					items.add(readReply(in));
				}
				return items;
			}
			case -1:
				throw new EOFException("Connection closed before a reply");
			default:
				throw new IOException("Unexpected RESP reply type '" + (char) type + "' " + line);
		}
	}

	private static String readLine(InputStream in) throws IOException {
		StringBuilder line = new StringBuilder();
		for (int c = in.read(); c != '\n'; c = in.read()) {
			if (c == -1) {
				throw new EOFException("Connection closed inside a reply line");
			}
			if (c != '\r') {
				line.append((char) c);
			}
		}
		return line.toString();
	}

	private void awaitCondition(String what, Duration timeout, BooleanSupplier condition) {
		long deadline = System.nanoTime() + timeout.toNanos();
		while (System.nanoTime() < deadline) {
			try {
				if (condition.getAsBoolean()) {
					return;
				}
			}
			catch (UncheckedIOException ex) {
				// Not up yet: try again until the deadline.
			}
			pause(50);
		}
		throw new AssertionError("Timed out after " + timeout.toSeconds() + " s waiting for " + what + " (" + this
				+ "); Sentinel log:\n" + RedisProcesses.tail(this.directory.resolve("sentinel-" + this.sentinelPort + ".log")));
	}

	private static void pause(long millis) {
		try {
			Thread.sleep(millis);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new AssertionError("Interrupted while waiting for Redis Sentinel", ex);
		}
	}

}
