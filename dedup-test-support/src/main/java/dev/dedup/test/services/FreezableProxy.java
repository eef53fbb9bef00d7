package dev.dedup.test.services;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP proxy on a loopback port in front of a shared server (a database, say), for tests that need that
 * server to hang without touching it: {@link #freeze()} stops passing bytes either way while every
 * connection stays open, which is what a client sees of a server that hangs (SIGSTOP, a dead network path).
 * {@link #thaw()} lets the held bytes through again; {@link #dropConnections()} breaks them all, as a server
 * crash would.
 *
 * <pre>
 * try (FreezableProxy proxy = new FreezableProxy("127.0.0.1", 5432)) {
 * 	… connect to 127.0.0.1:proxy.port() …
 * 	proxy.freeze();
 * }
 * </pre>
 */
public final class FreezableProxy implements AutoCloseable {

	private final String targetHost;

	private final int targetPort;

	private final ServerSocket server;

	private final List<Socket> sockets = new CopyOnWriteArrayList<>();

	private final Object gate = new Object();

	private volatile boolean frozen;

	private volatile boolean closed;

	public FreezableProxy(String targetHost, int targetPort) {
		this.targetHost = targetHost;
		this.targetPort = targetPort;
		try {
			this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		Thread acceptor = new Thread(this::accept, "freezable-proxy-" + port());
		acceptor.setDaemon(true);
		acceptor.start();
	}

	public int port() {
		return this.server.getLocalPort();
	}

	/** Stops passing bytes; connections stay open, new ones are accepted and get nothing either. */
	public void freeze() {
		this.frozen = true;
	}

	/** Passes bytes again, the held ones first. */
	public void thaw() {
		synchronized (this.gate) {
			this.frozen = false;
			this.gate.notifyAll();
		}
	}

	/**
	 * Closes every connection made so far, both ways, as a server that crashed and came back at once would:
	 * clients see their connections broken, and new ones go through.
	 */
	public void dropConnections() {
		List<Socket> open = List.copyOf(this.sockets);
		this.sockets.removeAll(open);
		open.forEach(FreezableProxy::closeQuietly);
	}

	@Override
	public void close() {
		this.closed = true;
		thaw();
		closeQuietly(this.server);
		this.sockets.forEach(FreezableProxy::closeQuietly);
	}

	private void accept() {
		while (!this.closed) {
			try {
				Socket client = this.server.accept();
				Socket target = new Socket(this.targetHost, this.targetPort);
				client.setTcpNoDelay(true);
				target.setTcpNoDelay(true);
				this.sockets.add(client);
				this.sockets.add(target);
				pump(client, target);
				pump(target, client);
			}
			catch (IOException ex) {
				if (!this.closed) {
					// One failed connection (the target refused it): the client sees it closed, the proxy goes on.
					continue;
				}
				return;
			}
		}
	}

	private void pump(Socket from, Socket to) {
		Thread thread = new Thread(() -> {
			byte[] buffer = new byte[16 * 1024];
			try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
				int read;
				while ((read = in.read(buffer)) != -1) {
					awaitThawed();
					out.write(buffer, 0, read);
					out.flush();
				}
			}
			catch (IOException | InterruptedException ex) {
				// Either side closed: close the other too, as a real connection would end.
			}
			finally {
				closeQuietly(from);
				closeQuietly(to);
			}
		}, "freezable-proxy-pump-" + port());
		thread.setDaemon(true);
		thread.start();
	}

	private void awaitThawed() throws InterruptedException {
		synchronized (this.gate) {
			while (this.frozen && !this.closed) {
				this.gate.wait();
			}
		}
	}

	private static void closeQuietly(AutoCloseable closeable) {
		try {
			closeable.close();
		}
		catch (Exception ex) {
			// Closing is best effort.
		}
	}

}
