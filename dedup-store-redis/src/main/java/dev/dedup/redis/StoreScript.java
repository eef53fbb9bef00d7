package dev.dedup.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The Lua script of each store step, read once from {@code dev/dedup/redis/*.lua}. Runners call it by its
 * SHA-1 (EVALSHA) and send the text only when the server does not know it yet.
 */
enum StoreScript {

	CLAIM("claim.lua", true),

	COMPLETE("complete.lua", true),

	COMPLETE_POLL("complete-poll.lua", false),

	RELEASE("release.lua", true),

	RENEW("renew.lua", false),

	INSPECT("inspect.lua", true),

	EVICT("evict.lua", true),

	PING("ping.lua", false);

	private final byte[] body;

	private final String sha1;

	private final boolean multiReply;

	StoreScript(String resource, boolean multiReply) {
		this.body = read(resource);
		this.sha1 = sha1Hex(this.body);
		this.multiReply = multiReply;
	}

	byte[] body() {
		return this.body;
	}

	String sha1() {
		return this.sha1;
	}

	/** True if the script answers an array (one reply per key, or inspect's fields), false if an integer. */
	boolean multiReply() {
		return this.multiReply;
	}

	private static byte[] read(String resource) {
		try (InputStream in = StoreScript.class.getResourceAsStream(resource)) {
			if (in == null) {
				throw new IllegalStateException("Missing script dev/dedup/redis/" + resource);
			}
			return in.readAllBytes();
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Cannot read script dev/dedup/redis/" + resource, ex);
		}
	}

	private static String sha1Hex(byte[] body) {
		try {
			return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(body));
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException("SHA-1 is required of every JVM", ex);
		}
	}

}
