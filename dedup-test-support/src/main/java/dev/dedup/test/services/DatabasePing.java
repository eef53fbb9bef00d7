package dev.dedup.test.services;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;

/**
 * Whether a MySQL/MariaDB or PostgreSQL server answers on a port, over a raw socket: finding a database
 * needs no driver. A port that accepts connections but speaks another protocol does not count.
 */
final class DatabasePing {

	private static final int MYSQL_PROTOCOL_10 = 0x0a;

	private static final int MYSQL_ERROR_PACKET = 0xff;

	private static final int POSTGRES_SSL_REQUEST = 80877103;

	private DatabasePing() {
	}

	/** True if a MySQL-protocol server greets (handshake v10, or an error packet such as "host not allowed"). */
	static boolean mysqlAnswers(String host, int port, Duration timeout) {
		try (Socket socket = connect(host, port, timeout)) {
			DataInputStream in = new DataInputStream(socket.getInputStream());
			in.skipNBytes(4); // payload length and sequence id
			int first = in.readUnsignedByte();
			return first == MYSQL_PROTOCOL_10 || first == MYSQL_ERROR_PACKET;
		}
		catch (IOException ex) {
			return false;
		}
	}

	/** True if a PostgreSQL server answers an SSLRequest with 'S' or 'N', as every version does. */
	static boolean postgresAnswers(String host, int port, Duration timeout) {
		try (Socket socket = connect(host, port, timeout)) {
			OutputStream out = socket.getOutputStream();
			out.write(new byte[] { 0, 0, 0, 8, (byte) (POSTGRES_SSL_REQUEST >>> 24), (byte) (POSTGRES_SSL_REQUEST >>> 16),
					(byte) (POSTGRES_SSL_REQUEST >>> 8), (byte) POSTGRES_SSL_REQUEST });
			out.flush();
			InputStream in = socket.getInputStream();
			int reply = in.read();
			return reply == 'S' || reply == 'N';
		}
		catch (IOException ex) {
			return false;
		}
	}

	private static Socket connect(String host, int port, Duration timeout) throws IOException {
		int millis = (int) timeout.toMillis();
		Socket socket = new Socket();
		try {
			socket.connect(new InetSocketAddress(host, port), millis);
			socket.setSoTimeout(millis);
			return socket;
		}
		catch (IOException ex) {
			socket.close();
			throw ex;
		}
	}

}
