package dev.dedup.core.key;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import dev.dedup.core.Digests;

/**
 * Builds store keys as {@code {prefix}:{scope}:{id}}. The scope keeps consumers apart (a Kafka consumer
 * group, an HTTP identity); the id names the message. A {@code :} or {@code %} in the scope is
 * percent-encoded, so the scope always ends at the second colon.
 * <ul>
 * <li>An empty id, or one with control characters (CR, LF, NUL, …), is refused with
 * {@link InvalidMessageIdException}: such ids are almost always a producer bug, and they break logs and
 * key layouts.</li>
 * <li>A key longer than the store allows (in UTF-8 bytes) keeps its prefix and scope, and its id is
 * replaced by {@code sha256:} and the hex SHA-256 of the id, so any id length works on any store.</li>
 * </ul>
 */
public final class DedupKeys {

	static final String HASHED_ID_PREFIX = "sha256:";

	private static final int HASHED_ID_LENGTH = HASHED_ID_PREFIX.length() + 64;

	private final String prefix;

	private final int maxKeyLength;

	/** Scopes seen so far (consumer groups, identities), at most {@link #MAX_CACHED_SCOPES}. */
	private final ConcurrentMap<String, Head> heads = new ConcurrentHashMap<>();

	private static final int MAX_CACHED_SCOPES = 1024;

	public DedupKeys(String prefix, int maxKeyLength) {
		if (prefix.isEmpty()) {
			throw new IllegalArgumentException("The key prefix must not be empty");
		}
		checkNoControlCharacters("key prefix", prefix);
		if (utf8Length(prefix) + 2 + HASHED_ID_LENGTH > maxKeyLength) {
			throw new IllegalArgumentException("The key prefix '" + prefix + "' leaves no room for ids within "
					+ maxKeyLength + " bytes");
		}
		this.prefix = prefix;
		this.maxKeyLength = maxKeyLength;
	}

	public String prefix() {
		return this.prefix;
	}

	/**
	 * @param scope what keeps these ids apart from others (a consumer group, an identity); not empty
	 * @param id the message id
	 * @throws InvalidMessageIdException if the id or scope is empty or has control characters, or the scope
	 * alone is too long for the store
	 */
	public String key(String scope, String id) {
		if (id.isEmpty()) {
			throw new InvalidMessageIdException("The message id is empty");
		}
		if (scope.isEmpty()) {
			throw new InvalidMessageIdException("The key scope is empty");
		}
		checkNoControlCharacters("message id", id);
		Head found = head(scope);
		String head = found.text();
		int headLength = found.utf8Length();
		if (headLength + utf8Length(id) <= this.maxKeyLength) {
			return head + id;
		}
		if (headLength + HASHED_ID_LENGTH > this.maxKeyLength) {
			throw new InvalidMessageIdException("The key scope '" + abbreviate(scope) + "' is too long for a "
					+ this.maxKeyLength + "-byte key");
		}
		return head + HASHED_ID_PREFIX + sha256Hex(id);
	}

	private static void checkNoControlCharacters(String what, String value) {
		for (int i = 0; i < value.length(); i++) {
			char c = value.charAt(i);
			if (Character.isISOControl(c)) {
				throw new InvalidMessageIdException(String.format("The %s '%s' has a control character (U+%04X) at "
						+ "index %d; ids must be printable", what, abbreviate(printable(value)), (int) c, i));
			}
			// A lone surrogate encodes to '?' in UTF-8, so two different ids would share a key.
			boolean paired = Character.isHighSurrogate(c) ? i + 1 < value.length()
					&& Character.isLowSurrogate(value.charAt(++i)) : !Character.isLowSurrogate(c);
			if (!paired) {
				throw new InvalidMessageIdException(String.format("The %s '%s' has an unpaired UTF-16 surrogate "
						+ "near index %d; ids must be well-formed text", what, abbreviate(printable(value)), i));
			}
		}
	}

	/** A ':' in the scope would make "a:b" + "c" and "a" + "b:c" the same key. */
	private static String escapeScope(String scope) {
		if (scope.indexOf(':') < 0 && scope.indexOf('%') < 0) {
			return scope;
		}
		return scope.replace("%", "%25").replace(":", "%3A");
	}

	private static String printable(String value) {
		StringBuilder out = new StringBuilder(Math.min(value.length(), 80));
		value.chars().limit(80).forEach(c -> out.append(Character.isISOControl(c) ? '?' : (char) c));
		return out.toString();
	}

	private static String abbreviate(String value) {
		return value.length() <= 64 ? value : value.substring(0, 64) + "…";
	}

	/**
	 * Bytes of {@code value} in UTF-8, counted without encoding it (a key is built per message). A lone
	 * surrogate counts as the one byte ({@code ?}) the encoder would write; ids with one are refused anyway.
	 */
	static int utf8Length(String value) {
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

	/** {@code prefix:scope:} for one scope, checked and measured once: a consumer has few groups. */
	private Head head(String scope) {
		Head cached = this.heads.get(scope);
		if (cached != null) {
			return cached;
		}
		checkNoControlCharacters("key scope", scope);
		String text = this.prefix + ':' + escapeScope(scope) + ':';
		Head head = new Head(text, utf8Length(text));
		if (this.heads.size() < MAX_CACHED_SCOPES) {
			this.heads.putIfAbsent(scope, head);
		}
		return head;
	}

	private record Head(String text, int utf8Length) {
	}

	static String sha256Hex(String value) {
		return Digests.sha256Hex(value);
	}

}
