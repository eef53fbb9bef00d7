package dev.dedup.core.key;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.dedup.core.Digests;

/**
 * Builds every store key dedup writes: {@code {prefix}:{kind}:{segment}:{segment}…}, one {@link KeyKind} per
 * use, each with a fixed number of segments:
 * <pre>
 * {prefix}:kafka:{consumer group}:{message id}
 * {prefix}:lock:{identity}:{operation}:{request hash or key}
 * {prefix}:idem:{identity}:{METHOD route}:{Idempotency-Key}
 * {prefix}:token:{identity}:{operation}:{token hash}
 * {prefix}:token-outstanding:{identity}:{operation}
 * </pre>
 * <ul>
 * <li><b>Escaping</b>, the same for every segment: {@code %} → {@code %25}, {@code :} → {@code %3A}, a
 * control character → {@code %XX}, a lone UTF-16 surrogate → {@code %uXXXX}. A segment never holds a
 * {@code :}, so segments never run into each other and the kind (the segment after the prefix) is always
 * the kind: a consumer group named {@code lock} gives {@code dedup:kafka:lock:…}, never an HTTP lock key.</li>
 * <li><b>Hashing</b>, the same for every kind: a key longer than the store allows (in UTF-8 bytes) keeps
 * {@code {prefix}:{kind}} and replaces the rest, {@code :{segment}:{segment}…} as escaped, by
 * {@code :sha256:} and the hex SHA-256 of its UTF-8 bytes, so any id length works on any store. (A key that
 * fits meets a hashed one only if its first segment is {@code sha256} and its second those 64 hex digits.)</li>
 * <li><b>Kafka ids</b> are checked before they are escaped: an empty id, or one with control characters
 * (CR, LF, NUL, …) or lone surrogates, is refused with {@link InvalidMessageIdException}; such ids are
 * almost always a producer bug, and the Kafka adapter applies its missing-id policy to them.</li>
 * </ul>
 * {@link KafkaKeyLayout#LEGACY} keeps writing Kafka keys as {@code {prefix}:{group}:{id}} (the id
 * unescaped, a too-long id replaced by {@code sha256:} and the hex SHA-256 of the id), as dedup did before
 * the kinds, so entries written by an older version stay readable; HTTP keys are the same in both layouts.
 * The text rules themselves (escaping, the id checks, UTF-8 lengths) are in {@link KeyText}.
 */
public final class DedupKeys {

	private static final Logger log = LoggerFactory.getLogger(DedupKeys.class);

	static final String HASHED = "sha256:";

	private static final int HASHED_LENGTH = HASHED.length() + 64;

	private static final int MAX_CACHED_SCOPES = 1024;

	private final String prefix;

	private final int maxKeyLength;

	private final KafkaKeyLayout kafkaLayout;

	/** {@code {prefix}:{kind}} per kind, by ordinal, and its UTF-8 length. */
	private final String[] kindHeads;

	private final int[] kindHeadLengths;

	/** Kafka heads of the consumer groups seen so far, at most {@link #MAX_CACHED_SCOPES}. */
	private final ConcurrentMap<String, Head> heads = new ConcurrentHashMap<>();

	/** Keys in the {@link KafkaKeyLayout#KINDED} layout. */
	public DedupKeys(String prefix, int maxKeyLength) {
		this(prefix, maxKeyLength, KafkaKeyLayout.KINDED);
	}

	/**
	 * @param prefix the first segment of every key (written as it is: not escaped)
	 * @param maxKeyLength the longest key the store takes, in UTF-8 bytes
	 * @param kafkaLayout how Kafka keys are laid out
	 * @throws IllegalArgumentException if the prefix is empty, has control characters, or leaves no room
	 * for a hashed key within {@code maxKeyLength}
	 */
	public DedupKeys(String prefix, int maxKeyLength, KafkaKeyLayout kafkaLayout) {
		if (prefix.isEmpty()) {
			throw new IllegalArgumentException("The key prefix must not be empty");
		}
		KeyText.checkId("key prefix", prefix);
		this.kindHeads = new String[KeyKind.values().length];
		this.kindHeadLengths = new int[KeyKind.values().length];
		int longestKind = 0;
		for (KeyKind kind : KeyKind.values()) {
			this.kindHeads[kind.ordinal()] = prefix + ':' + kind.segment();
			this.kindHeadLengths[kind.ordinal()] = KeyText.utf8Length(this.kindHeads[kind.ordinal()]);
			longestKind = Math.max(longestKind, kind.segment().length());
		}
		if (KeyText.utf8Length(prefix) + 2 + longestKind + HASHED_LENGTH > maxKeyLength) {
			throw new IllegalArgumentException("The key prefix '" + prefix + "' leaves no room for keys within "
					+ maxKeyLength + " bytes");
		}
		this.prefix = prefix;
		this.maxKeyLength = maxKeyLength;
		this.kafkaLayout = kafkaLayout;
	}

	/** The first segment of every key ({@code dedup.key-prefix}). */
	public String prefix() {
		return this.prefix;
	}

	/** How Kafka keys are laid out ({@code dedup.kafka.key-layout}). */
	public KafkaKeyLayout kafkaLayout() {
		return this.kafkaLayout;
	}

	/**
	 * The key of a Kafka message: {@code {prefix}:kafka:{group}:{id}} (or {@code {prefix}:{group}:{id}} in
	 * the {@link KafkaKeyLayout#LEGACY legacy} layout).
	 * @param group the consumer group; not empty
	 * @param id the message id
	 * @throws InvalidMessageIdException if the id is empty or has control characters or lone surrogates, or
	 * the group is empty (or, in the legacy layout, too long for the store)
	 */
	public String kafka(String group, String id) {
		if (id.isEmpty()) {
			throw new InvalidMessageIdException("The message id is empty");
		}
		if (group.isEmpty()) {
			throw new InvalidMessageIdException("The consumer group is empty");
		}
		Head head = head(group);
		// One pass per record: refuse what cannot be an id, measure it, count what needs escaping.
		int bytes = 0;
		int escapes = 0;
		for (int i = 0; i < id.length(); i++) {
			char c = id.charAt(i);
			if (c < 0x80) {
				if (c < 0x20 || c == 0x7F) {
					throw KeyText.controlCharacter("message id", id, i);
				}
				if (c == ':' || c == '%') {
					escapes++;
				}
				bytes++;
			}
			else if (c < 0x800) {
				if (c <= 0x9F) {
					throw KeyText.controlCharacter("message id", id, i);
				}
				bytes += 2;
			}
			else if (Character.isSurrogate(c)) {
				if (!Character.isHighSurrogate(c) || i + 1 == id.length()
						|| !Character.isLowSurrogate(id.charAt(i + 1))) {
					throw KeyText.loneSurrogate("message id", id, i);
				}
				bytes += 4;
				i++;
			}
			else {
				bytes += 3;
			}
		}
		if (this.kafkaLayout == KafkaKeyLayout.LEGACY) {
			return legacy(head, group, id, bytes);
		}
		String segment = (escapes == 0) ? id : KeyText.escape(id);
		if (head.utf8Length() + bytes + 2 * escapes <= this.maxKeyLength) {
			return head.text() + segment;
		}
		MessageDigest digest = Digests.sha256();
		digest.update(head.tail());
		byte[] hash = digest.digest(segment.getBytes(StandardCharsets.UTF_8));
		return kindHead(KeyKind.KAFKA) + ':' + HASHED + HexFormat.of().formatHex(hash);
	}

	/** The layout and hashing of dedup before the kinds, kept so that old entries are found. */
	private String legacy(Head head, String group, String id, int idBytes) {
		if (head.utf8Length() + idBytes <= this.maxKeyLength) {
			return head.text() + id;
		}
		if (head.utf8Length() + HASHED_LENGTH > this.maxKeyLength) {
			throw new InvalidMessageIdException("The consumer group '" + KeyText.abbreviate(group)
					+ "' is too long for a " + this.maxKeyLength + "-byte key");
		}
		return head.text() + HASHED + Digests.sha256Hex(id);
	}

	/**
	 * The key of {@code kind} for these segments (escaped, hashed when too long). A {@link KeyKind#KAFKA}
	 * key is {@link #kafka(String, String)} of its group and id, checks and layout included.
	 * @throws IllegalArgumentException if there are not {@link KeyKind#segments()} segments
	 * @throws InvalidMessageIdException for a Kafka key whose id or group {@link #kafka} refuses
	 */
	public String key(KeyKind kind, String... segments) {
		if (segments.length != kind.segments()) {
			throw new IllegalArgumentException("A " + kind.segment() + " key has " + kind.segments()
					+ " segments, not " + segments.length);
		}
		if (kind == KeyKind.KAFKA) {
			return kafka(segments[0], segments[1]);
		}
		StringBuilder rest = new StringBuilder(64);
		for (String segment : segments) {
			rest.append(':');
			KeyText.escape(segment, rest);
		}
		String head = kindHead(kind);
		// Escaped text has no lone surrogates, so this is its exact UTF-8 length.
		if (this.kindHeadLengths[kind.ordinal()] + KeyText.utf8Length(rest) <= this.maxKeyLength) {
			return head + rest;
		}
		return head + ':' + HASHED + Digests.sha256Hex(rest.toString());
	}

	/**
	 * The key of a Kafka message.
	 * @deprecated for {@link #kafka(String, String)}, which it calls: the scope is a consumer group
	 */
	@Deprecated
	public String key(String scope, String id) {
		return kafka(scope, id);
	}

	private String kindHead(KeyKind kind) {
		return this.kindHeads[kind.ordinal()];
	}

	/** {@code prefix:kafka:group:} for one group, escaped and measured once: a consumer has few groups. */
	private Head head(String group) {
		Head cached = this.heads.get(group);
		if (cached != null) {
			return cached;
		}
		String segment = KeyText.escape(group);
		String kindHead = (this.kafkaLayout == KafkaKeyLayout.LEGACY) ? this.prefix : kindHead(KeyKind.KAFKA);
		String tail = ':' + segment + ':';
		String text = kindHead + tail;
		Head head = new Head(text, KeyText.utf8Length(text), tail.getBytes(StandardCharsets.UTF_8));
		if (this.heads.size() < MAX_CACHED_SCOPES && this.heads.putIfAbsent(group, head) == null
				&& this.kafkaLayout == KafkaKeyLayout.LEGACY && KeyKind.find(group) != null) {
			log.warn("Consumer group '{}' is named like an HTTP key kind: with dedup.kafka.key-layout=legacy its "
					+ "keys ({}…) share the namespace of those HTTP keys; rename the group or move to the kinded "
					+ "layout", group, text);
		}
		return head;
	}

	/**
	 * @param text {@code prefix:kind:group:} (or {@code prefix:group:}), the start of each key
	 * @param tail the UTF-8 of {@code :group:}, where the hashed part of a too-long key starts
	 */
	private record Head(String text, int utf8Length, byte[] tail) {
	}

}
