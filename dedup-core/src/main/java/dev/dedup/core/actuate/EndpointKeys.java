package dev.dedup.core.actuate;

import java.util.Set;

/**
 * Builds the store keys of one module's kinds from what an operator knows, for the {@code dedup} endpoint:
 * dedup-http contributes {@code lock} and {@code idem} (identity, operation, id). Kafka keys (consumer group
 * and message id) are built by the endpoint itself.
 */
public interface EndpointKeys {

	/** The kinds this builder knows, as the endpoint's {@code kind} parameter names them. */
	Set<String> kinds();

	/**
	 * The store key of {@code kind} for these parts, built exactly as the module builds it.
	 * @throws IllegalArgumentException if a part the kind needs is missing
	 */
	String key(String kind, String identity, String operation, String id);

}
