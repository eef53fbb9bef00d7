package dev.dedup.jdbc;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The checks and conversions the JDBC store applies to a step's arguments before any SQL runs: keys
 * and owners that fit their columns, durations in the whole milliseconds the SQL takes, batches in chunks
 * every driver accepts.
 */
final class StepArguments {

	/**
	 * Bytes in the key column ({@code VARBINARY(512)} on MySQL; {@code VARCHAR(512)} characters elsewhere,
	 * which hold at least 512 UTF-8 bytes). Longer keys are hashed by {@code DedupKeys}.
	 */
	static final int MAX_KEY_LENGTH = 512;

	/** Bytes in the owner column; the engine's owners are 32 hex digits. */
	static final int MAX_OWNER_LENGTH = 128;

	/** Keys per statement: well within every driver's parameter limit. */
	static final int CHUNK = 500;

	/** A century: far beyond any lease or retention, and within every vendor's timestamp range. */
	private static final long MAX_MILLIS = Duration.ofDays(36_500).toMillis();

	private StepArguments() {
	}

	static List<List<String>> chunks(List<String> keys) {
		List<List<String>> chunks = new ArrayList<>();
		for (int from = 0; from < keys.size(); from += CHUNK) {
			chunks.add(keys.subList(from, Math.min(keys.size(), from + CHUNK)));
		}
		return chunks;
	}

	static String describe(List<String> keys) {
		return keys.size() == 1 ? "'" + keys.get(0) + "'" : keys.size() + " keys";
	}

	/**
	 * A key longer than the column would be truncated or refused by the database, so two keys could share a
	 * row; {@code DedupKeys} never builds one.
	 */
	static void checkKey(String key) {
		if (!fits(key)) {
			throw new IllegalArgumentException("Dedup key of " + utf8Length(key) + " bytes is longer than the "
					+ MAX_KEY_LENGTH + " bytes of the key column; build keys with DedupKeys, which "
					+ "hashes long ids");
		}
	}

	static void checkOwner(String owner) {
		if (!fitsOwner(owner)) {
			throw new IllegalArgumentException("Owner id longer than " + MAX_OWNER_LENGTH + " bytes");
		}
	}

	static boolean fits(String key) {
		return !key.isEmpty() && utf8Length(key) <= MAX_KEY_LENGTH;
	}

	/** Whether a row can hold this key and owner: a step on one that cannot finds nothing to change. */
	static boolean fits(String key, String owner) {
		return fits(key) && fitsOwner(owner);
	}

	static boolean fitsOwner(String owner) {
		return utf8Length(owner) <= MAX_OWNER_LENGTH;
	}

	private static int utf8Length(String value) {
		return value.getBytes(StandardCharsets.UTF_8).length;
	}

	/** Whole milliseconds, at least 1, at most a century. */
	static long millis(String what, Duration duration) {
		if (duration.isNegative() || duration.isZero()) {
			throw new IllegalArgumentException("The " + what + " must be positive, but is " + duration);
		}
		return Math.max(1, Math.min(MAX_MILLIS, duration.toMillis()));
	}

}
