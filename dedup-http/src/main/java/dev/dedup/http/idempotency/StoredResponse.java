package dev.dedup.http.idempotency;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * The first response to an idempotency key, as stored with the CONSUMED entry: the request's fingerprint,
 * the status, the allow-listed headers and the body, byte for byte. A small versioned binary layout, so a
 * replay needs no JSON and returns exactly the bytes the first client got.
 *
 * @param fingerprint SHA-256 of the first request (method, path, query, body)
 * @param headers name and value pairs, in order
 */
public record StoredResponse(byte[] fingerprint, int status, List<Header> headers, byte[] body) {

	private static final int VERSION = 1;

	public byte[] toBytes() {
		ByteArrayOutputStream bytes = new ByteArrayOutputStream(this.body.length + 128);
		try (DataOutputStream out = new DataOutputStream(bytes)) {
			out.writeByte(VERSION);
			out.writeShort(this.fingerprint.length);
			out.write(this.fingerprint);
			out.writeShort(this.status);
			out.writeShort(this.headers.size());
			for (Header header : this.headers) {
				out.writeUTF(header.name());
				out.writeUTF(header.value());
			}
			out.writeInt(this.body.length);
			out.write(this.body);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		return bytes.toByteArray();
	}

	/** The stored response, or null if the bytes are not one (another writer, or a newer version). */
	public static @Nullable StoredResponse fromBytes(byte @Nullable [] stored) {
		if (stored == null) {
			return null;
		}
		try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(stored))) {
			if (in.readUnsignedByte() != VERSION) {
				return null;
			}
			byte[] fingerprint = in.readNBytes(in.readUnsignedShort());
			int status = in.readUnsignedShort();
			int count = in.readUnsignedShort();
			List<Header> headers = new ArrayList<>(count);
			for (int i = 0; i < count; i++) {
				headers.add(new Header(in.readUTF(), in.readUTF()));
			}
			int length = in.readInt();
			byte[] body = in.readNBytes(length);
			return (body.length == length && in.read() == -1) ? new StoredResponse(fingerprint, status, headers, body)
					: null;
		}
		catch (IOException ex) {
			return null;
		}
	}

	/** Whether the stored request had this fingerprint (constant time). */
	public boolean matches(byte[] fingerprint) {
		return MessageDigest.isEqual(this.fingerprint, fingerprint);
	}

	/** One response header. */
	public record Header(String name, String value) {
	}

}
