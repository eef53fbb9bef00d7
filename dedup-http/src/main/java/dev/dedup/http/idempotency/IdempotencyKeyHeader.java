package dev.dedup.http.idempotency;

import org.jspecify.annotations.Nullable;

/**
 * Parses an {@code Idempotency-Key} header value. The draft defines it as a structured-field string
 * ({@code "8e03978e-40d5-43e8-bc93-6894a57f9324"}); many clients send it bare, so both are accepted:
 * <ul>
 * <li>quoted: printable ASCII (space allowed) between double quotes, with {@code \"} and {@code \\}
 * escapes;</li>
 * <li>bare: visible ASCII (no space, no double quote).</li>
 * </ul>
 * Either way the key itself must be 1–255 characters. Anything else (empty, too long, control characters,
 * non-ASCII, a stray quote) is malformed.
 */
public final class IdempotencyKeyHeader {

	public static final int MAX_LENGTH = 255;

	private IdempotencyKeyHeader() {
	}

	/** The key, or null if the value is malformed. */
	public static @Nullable String parse(String value) {
		String key = value.length() >= 2 && value.charAt(0) == '"' ? unquote(value) : bare(value);
		return (key == null || key.isEmpty() || key.length() > MAX_LENGTH) ? null : key;
	}

	private static @Nullable String bare(String value) {
		if (value.length() > MAX_LENGTH) {
			return null;
		}
		for (int i = 0; i < value.length(); i++) {
			char c = value.charAt(i);
			if (c <= 0x20 || c >= 0x7F || c == '"') {
				return null;
			}
		}
		return value;
	}

	private static @Nullable String unquote(String value) {
		if (value.length() > 2 * MAX_LENGTH + 2 || value.charAt(value.length() - 1) != '"') {
			return null;
		}
		StringBuilder key = new StringBuilder(value.length());
		for (int i = 1; i < value.length() - 1; i++) {
			char c = value.charAt(i);
			if (c == '\\') {
				if (i + 1 >= value.length() - 1) {
					return null;
				}
				char escaped = value.charAt(++i);
				if (escaped != '"' && escaped != '\\') {
					return null;
				}
				key.append(escaped);
			}
			else if (c == '"' || c < 0x20 || c >= 0x7F) {
				return null;
			}
			else {
				key.append(c);
			}
		}
		return key.toString();
	}

}
