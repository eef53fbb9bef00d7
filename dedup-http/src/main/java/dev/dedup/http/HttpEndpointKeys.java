package dev.dedup.http;

import java.util.Set;

import dev.dedup.core.actuate.EndpointKeys;

/**
 * The HTTP keys the {@code dedup} endpoint can name: {@code idem} (identity, {@code METHOD route} as the
 * operation, the Idempotency-Key as id) and {@code lock} (identity, route, the value of the lock's key
 * expression as id), built exactly as the strategies build them.
 */
public final class HttpEndpointKeys implements EndpointKeys {

	private final HttpKeys keys;

	public HttpEndpointKeys(HttpKeys keys) {
		this.keys = keys;
	}

	@Override
	public Set<String> kinds() {
		return Set.of("idem", "lock");
	}

	@Override
	public String key(String kind, String identity, String operation, String id) {
		if (!kinds().contains(kind)) {
			throw new IllegalArgumentException("Not an HTTP key kind: '" + kind + "'");
		}
		return this.keys.key(kind, identity, operation, id);
	}

}
