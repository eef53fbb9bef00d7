package dev.dedup.core.key;

/** How Kafka keys are laid out ({@code dedup.kafka.key-layout}); HTTP keys have one layout only. */
public enum KafkaKeyLayout {

	/**
	 * {@code {prefix}:kafka:{group}:{id}}: the kind keeps consumer groups apart from the HTTP kinds, and
	 * keys follow {@link DedupKeys}' one escaping and hashing rule. The default.
	 */
	KINDED,

	/**
	 * {@code {prefix}:{group}:{id}}, as dedup wrote them before the kinds: the id unescaped, a too-long id
	 * replaced by {@code sha256:} and the hex SHA-256 of the id. Keeps ids consumed before an upgrade
	 * recognised; a consumer group named like an HTTP kind ({@code lock}, {@code idem}, {@code token},
	 * {@code token-outstanding}) shares their namespace, as it did before.
	 */
	LEGACY

}
