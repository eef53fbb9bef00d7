package dev.dedup.test.services;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Redis Cluster of three masters on free loopback ports, each a {@link PrivateRedisServer} with
 * {@code --cluster-enabled yes}, joined by {@code redis-cli --cluster create}: what a store must work on when
 * keys of one batch live in different slots and on different nodes.
 */
public final class PrivateRedisCluster implements AutoCloseable {

	private static final Duration FORMATION_TIMEOUT = Duration.ofSeconds(30);

	private final List<PrivateRedisServer> masters = new ArrayList<>();

	/**
	 * Starts the three servers, creates the cluster and waits until every node reports it ok.
	 * @throws AssertionError if {@code redis-server} or {@code redis-cli} is missing, or the cluster does not form
	 */
	public PrivateRedisCluster() {
		try {
			for (int i = 0; i < 3; i++) {
				this.masters.add(new PrivateRedisServer(List.of("--cluster-enabled", "yes", "--cluster-config-file",
						"nodes.conf", "--cluster-node-timeout", "5000")));
			}
			List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
			nodes().forEach(create::add);
			create.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
			run(create);
			awaitClusterOk();
		}
		catch (RuntimeException | AssertionError ex) {
			close();
			throw ex;
		}
	}

	/** {@code host:port} of each master. */
	public List<String> nodes() {
		return this.masters.stream().map(server -> server.host() + ":" + server.port()).toList();
	}

	private void awaitClusterOk() {
		long deadline = System.nanoTime() + FORMATION_TIMEOUT.toNanos();
		while (System.nanoTime() < deadline) {
			boolean ok = true;
			for (PrivateRedisServer master : this.masters) {
				String info = run(List.of("redis-cli", "-h", master.host(), "-p", String.valueOf(master.port()),
						"cluster", "info"));
				ok &= info.contains("cluster_state:ok");
			}
			if (ok) {
				return;
			}
			try {
				Thread.sleep(100);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new AssertionError("Interrupted while the cluster formed", ex);
			}
		}
		throw new AssertionError("The Redis Cluster on " + nodes() + " did not report cluster_state:ok within "
				+ FORMATION_TIMEOUT.toSeconds() + " s");
	}

	private static String run(List<String> command) {
		try {
			Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
			String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
			if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
				throw new AssertionError(String.join(" ", command) + " failed:\n" + output);
			}
			return output;
		}
		catch (IOException ex) {
			throw new AssertionError("Could not run " + command.get(0) + " (install redis-tools): " + ex.getMessage(), ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new AssertionError("Interrupted running " + command.get(0), ex);
		}
	}

	@Override
	public void close() {
		this.masters.forEach(PrivateRedisServer::close);
	}

}
