package dev.dedup.redis;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import dev.dedup.core.Digests;

/**
 * The row of one poll ({@link RedisDedupStore#claimPoll}): its keys hold {@code NUL P} and the poll's id, and
 * the row under {@code SOH "poll:"} and the id holds their lease, then their CONSUMED state (see
 * {@code claim.lua}). The id is the first 12 bytes of the SHA-256 of the poll's owner: a key then costs the
 * server 14 bytes, where the owner itself would cost 34, and 96 bits keep two polls apart however many the
 * retention holds. The row holds the owner itself, which fences every step.
 */
record PollRow(byte[] key, byte[] keyValue) {

	private static final int ID_BYTES = 12;

	private static final byte[] ROW_PREFIX = "\u0001poll:".getBytes(StandardCharsets.US_ASCII);

	static PollRow of(String owner) {
		byte[] id = Arrays.copyOf(Digests.sha256().digest(owner.getBytes(StandardCharsets.UTF_8)), ID_BYTES);
		byte[] key = Arrays.copyOf(ROW_PREFIX, ROW_PREFIX.length + ID_BYTES);
		System.arraycopy(id, 0, key, ROW_PREFIX.length, ID_BYTES);
		byte[] keyValue = new byte[2 + ID_BYTES];
		keyValue[1] = 'P';
		System.arraycopy(id, 0, keyValue, 2, ID_BYTES);
		return new PollRow(key, keyValue);
	}

}
