package dev.dedup.test.services;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * One PING over a raw socket in RESP, so finding a Redis needs no client library (and no Spring).
 */
final class RedisPing {

	private static final byte[] PING = "*1\r\n$4\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII);

	private RedisPing() {
	}

	/** True if a Redis at host:port answers {@code +PONG} within the timeout. */
	static boolean answers(String host, int port, Duration timeout) {
		try {
			return "+PONG".equals(reply(host, port, timeout));
		}
		catch (IOException ex) {
			return false;
		}
	}

	/** The first line the server answers to PING, e.g. {@code +PONG} or {@code -NOAUTH …}. */
	static String reply(String host, int port, Duration timeout) throws IOException {
		int millis = (int) timeout.toMillis();
		try (Socket socket = new Socket()) {
			socket.connect(new InetSocketAddress(host, port), millis);
			socket.setSoTimeout(millis);
			OutputStream out = socket.getOutputStream();
			out.write(PING);
			out.flush();
			return readLine(socket.getInputStream());
		}
	}

	private static String readLine(InputStream in) throws IOException {
		StringBuilder line = new StringBuilder();
		for (int c = in.read(); c != -1 && c != '\n' && line.length() < 512; c = in.read()) {
			if (c != '\r') {
				line.append((char) c);
			}
		}
		return line.toString();
	}

}
