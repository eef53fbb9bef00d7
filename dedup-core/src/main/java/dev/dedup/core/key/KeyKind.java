package dev.dedup.core.key;

import org.jspecify.annotations.Nullable;

/**
 * What a store key is for. The kind is the key's second segment, {@code {prefix}:{kind}:…}, a fixed word
 * per kind, so keys of different kinds never meet, whatever a consumer group, identity or id is called.
 * Each kind has a fixed number of segments after it.
 */
public enum KeyKind {

	/** A Kafka record: {@code {prefix}:kafka:{consumer group}:{message id}}. */
	KAFKA("kafka", 2),

	/** An HTTP LOCK: {@code {prefix}:lock:{identity}:{operation}:{request hash or key}}. */
	LOCK("lock", 3),

	/** An HTTP Idempotency-Key: {@code {prefix}:idem:{identity}:{METHOD route}:{Idempotency-Key}}. */
	IDEMPOTENCY("idem", 3),

	/** An issued submit token: {@code {prefix}:token:{identity}:{operation}:{token hash}}. */
	TOKEN("token", 3),

	/** The token outstanding for one identity and operation: {@code {prefix}:token-outstanding:{identity}:{operation}}. */
	TOKEN_OUTSTANDING("token-outstanding", 2);

	private final String segment;

	private final int segments;

	KeyKind(String segment, int segments) {
		this.segment = segment;
		this.segments = segments;
	}

	/** The kind as it is written in keys (and named by the {@code dedup} endpoint's {@code kind}). */
	public String segment() {
		return this.segment;
	}

	/** How many segments follow the kind. */
	public int segments() {
		return this.segments;
	}

	/**
	 * The kind written as {@code segment} in keys.
	 * @throws IllegalArgumentException if no kind is written so
	 */
	public static KeyKind ofSegment(String segment) {
		KeyKind kind = find(segment);
		if (kind == null) {
			throw new IllegalArgumentException("Unknown key kind '" + segment + "'");
		}
		return kind;
	}

	/** The kind written as {@code segment} in keys, or null if no kind is written so. */
	static @Nullable KeyKind find(String segment) {
		for (KeyKind kind : values()) {
			if (kind.segment.equals(segment)) {
				return kind;
			}
		}
		return null;
	}

}
