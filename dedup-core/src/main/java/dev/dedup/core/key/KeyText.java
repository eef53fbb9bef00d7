package dev.dedup.core.key;

/**
 * The text rules of {@link DedupKeys}: the one escaping of every segment, the checks that refuse what can
 * never be an id, and UTF-8 lengths counted without encoding (a key is built per Kafka record).
 */
final class KeyText {

	private static final char[] HEX = "0123456789ABCDEF".toCharArray();

	private KeyText() {
	}

	/** The one escaping rule, for every segment of every kind. */
	static String escape(String value) {
		for (int i = 0; i < value.length(); i++) {
			char c = value.charAt(i);
			if (c == '%' || c == ':' || Character.isISOControl(c) || Character.isSurrogate(c)) {
				StringBuilder out = new StringBuilder(value.length() + 16);
				escape(value, out);
				return out.toString();
			}
		}
		return value;
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

	/** Refuses what is never an id (or prefix): control characters and lone surrogates. */
	static void checkId(String what, String value) {
		for (int i = 0; i < value.length(); i++) {
			char c = value.charAt(i);
			if (Character.isISOControl(c)) {
				throw controlCharacter(what, value, i);
			}
			if (Character.isSurrogate(c)) {
				if (!Character.isHighSurrogate(c) || i + 1 == value.length()
						|| !Character.isLowSurrogate(value.charAt(i + 1))) {
					throw loneSurrogate(what, value, i);
				}
				i++;
			}
		}
	}

	static InvalidMessageIdException controlCharacter(String what, String value, int index) {
		return new InvalidMessageIdException(String.format("The %s '%s' has a control character (U+%04X) at "
				+ "index %d; ids must be printable", what, abbreviate(printable(value)), (int) value.charAt(index),
				index));
	}

	/** A lone surrogate encodes to '?' in UTF-8, so two different ids would share a key. */
	static InvalidMessageIdException loneSurrogate(String what, String value, int index) {
		return new InvalidMessageIdException(String.format("The %s '%s' has an unpaired UTF-16 surrogate "
				+ "near index %d; ids must be well-formed text", what, abbreviate(printable(value)), index));
	}

	private static String printable(String value) {
		StringBuilder out = new StringBuilder(Math.min(value.length(), 80));
		value.chars().limit(80).forEach(c -> out.append(Character.isISOControl(c) ? '?' : (char) c));
		return out.toString();
	}

	static String abbreviate(String value) {
		return value.length() <= 64 ? value : value.substring(0, 64) + "…";
	}

	/**
	 * Bytes of {@code value} in UTF-8, counted without encoding it. A lone surrogate counts as the one byte
	 * ({@code ?}) the encoder would write; ids with one are refused, and segments escape them.
	 */
	static int utf8Length(CharSequence value) {
		int bytes = 0;
		for (int i = 0; i < value.length(); i++) {
			char c = value.charAt(i);
			if (c < 0x80) {
				bytes++;
			}
			else if (c < 0x800) {
				bytes += 2;
			}
			else if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
				bytes += 4;
				i++;
			}
			else {
				bytes += Character.isSurrogate(c) ? 1 : 3;
			}
		}
		return bytes;
	}

}
