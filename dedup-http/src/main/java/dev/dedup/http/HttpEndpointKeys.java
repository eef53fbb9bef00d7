package dev.dedup.http;

import java.util.Set;

import dev.dedup.core.actuate.EndpointKeys;
import dev.dedup.core.key.DedupKeys;
import dev.dedup.core.key.KeyKind;

/**
 * The HTTP keys the {@code dedup} endpoint can name: {@code idem} (identity, {@code METHOD route} as the
 * operation, the Idempotency-Key as id) and {@code lock} (identity, route, the value of the lock's key
 * expression as id), built by the same {@link DedupKeys} as the strategies build them.
 */
public final class HttpEndpointKeys implements EndpointKeys {

	private final DedupKeys keys;

	public HttpEndpointKeys(DedupKeys keys) {
		this.keys = keys;
	}

	@Override
	public Set<String> kinds() {
		return Set.of(KeyKind.IDEMPOTENCY.segment(), KeyKind.LOCK.segment());
	}

	@Override
	public String key(String kind, String identity, String operation, String id) {
		if (!kinds().contains(kind)) {
			throw new IllegalArgumentException("Not an HTTP key kind: '" + kind + "'");
		}
		return this.keys.key(KeyKind.ofSegment(kind), identity, operation, id);
	}

}
