package dev.dedup.core;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** The one SHA-256 helper: hashed store keys, token hashes, request fingerprints. */
public final class Digests {

	private Digests() {
	}

	/** Never updated: each caller gets a clone, which skips the provider lookup of getInstance. */
	private static final MessageDigest SHA_256 = newSha256();

	/** A fresh SHA-256 digest, for one thread. */
	public static MessageDigest sha256() {
		try {
			return (MessageDigest) SHA_256.clone();
		}
		catch (CloneNotSupportedException ex) {
			return newSha256();
		}
	}

	private static MessageDigest newSha256() {
		try {
			return MessageDigest.getInstance("SHA-256");
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException("SHA-256 is required of every JVM", ex);
		}
	}

	/** The SHA-256 of {@code value}, as 64 lower-case hex digits. */
	public static String sha256Hex(byte[] value) {
		return HexFormat.of().formatHex(sha256().digest(value));
	}

	/** The SHA-256 of {@code value}'s UTF-8 bytes, as 64 lower-case hex digits. */
	public static String sha256Hex(String value) {
		return sha256Hex(value.getBytes(StandardCharsets.UTF_8));
	}

}
