package dev.dedup.test.services;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Loopback ports for servers that tests start themselves. */
public final class Ports {

	private Ports() {
	}

	/**
	 * A port on 127.0.0.1 that was free a moment ago. Another process may take it before the caller binds
	 * it, so servers started on it should retry with a new port if they cannot bind.
	 */
	public static int freePort() {
		try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
			socket.setReuseAddress(true);
			return socket.getLocalPort();
		}
		catch (IOException ex) {
			throw new UncheckedIOException("No free loopback port", ex);
		}
	}

}
