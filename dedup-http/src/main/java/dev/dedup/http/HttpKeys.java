package dev.dedup.http;

import java.nio.charset.StandardCharsets;

import dev.dedup.core.Digests;

/**
 * Store keys of the HTTP strategies: {@code {prefix}:{kind}:{segment}:{segment}…}, e.g.
 * {@code dedup:lock:{identity}:{operation}:{hash}}. Each segment is escaped ({@code %} → {@code %25},
 * {@code :} → {@code %3A}, control characters and lone surrogates → {@code %XX} / {@code %uXXXX}), so
 * segments never run into each other and any identity or key text is safe in a key. A key longer than the
 * store allows keeps {@code {prefix}:{kind}:} and replaces the rest by {@code sha256:} and its hex SHA-256.
 */
public final class HttpKeys {

	private static final char[] HEX = "0123456789ABCDEF".toCharArray();

	private final String prefix;

	private final int maxKeyLength;

	public HttpKeys(String prefix, int maxKeyLength) {
		this.prefix = prefix;
		this.maxKeyLength = maxKeyLength;
	}

	public String key(String kind, String... segments) {
		StringBuilder tail = new StringBuilder();
		for (String segment : segments) {
			tail.append(':');
			escape(segment, tail);
		}
		String head = this.prefix + ':' + kind;
		String key = head + tail;
		if (key.getBytes(StandardCharsets.UTF_8).length <= this.maxKeyLength) {
			return key;
		}
		return head + ":sha256:" + Digests.sha256Hex(tail.toString().getBytes(StandardCharsets.UTF_8));
	}

	static void escape(String value, StringBuilder out) {
		for (int i = 0; i < value.length(); i++) {
			char c = value.charAt(i);
			if (c == '%' || c == ':' || Character.isISOControl(c)) {
				out.append('%').append(HEX[(c >> 4) & 0xF]).append(HEX[c & 0xF]);
			}
			else if (Character.isHighSurrogate(c) && i + 1 < value.length()
					&& Character.isLowSurrogate(value.charAt(i + 1))) {
				out.append(c).append(value.charAt(++i));
			}
			else if (Character.isSurrogate(c)) {
				// UTF-8 would turn any lone surrogate into '?', so two different texts would share a key.
				out.append("%u").append(HEX[(c >> 12) & 0xF]).append(HEX[(c >> 8) & 0xF])
					.append(HEX[(c >> 4) & 0xF]).append(HEX[c & 0xF]);
			}
			else {
				out.append(c);
			}
		}
	}

}
