package dev.dedup.core.actuate;

import java.security.Principal;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.OperationResponseBody;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.actuate.endpoint.annotation.DeleteOperation;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;

import dev.dedup.core.engine.DedupEngine;
import dev.dedup.core.key.DedupKeys;
import dev.dedup.core.store.StoredEntry;

/**
 * The {@code dedup} endpoint: read one key's entry, or delete it to unstick a message. A key is named in one
 * of three ways:
 * <ul>
 * <li>{@code key}: the store key as dedup's logs and problem details print it;</li>
 * <li>{@code group} and {@code id}: a Kafka consumer group and message id;</li>
 * <li>{@code kind}, {@code identity}, {@code operation} and {@code id}: an HTTP key ({@code kind} {@code idem}
 * with {@code operation} = method and route, e.g. {@code POST /orders}, and the Idempotency-Key as id; or
 * {@code lock}).</li>
 * </ul>
 * The entry shows its state, whether an owner holds it, the time left of its lease or retention and the size
 * of a stored result, never the owner or the result themselves. A delete is logged at WARN with who asked.
 * Like other endpoints that change state it is not exposed over HTTP unless the application says so
 * ({@code management.endpoints.web.exposure.include=dedup}).
 */
@Endpoint(id = "dedup")
public class DedupEndpoint {

	private static final Logger log = LoggerFactory.getLogger(DedupEndpoint.class);

	private final DedupEngine engine;

	private final DedupKeys keys;

	private final List<EndpointKeys> kinds;

	public DedupEndpoint(DedupEngine engine, DedupKeys keys, List<EndpointKeys> kinds) {
		this.engine = engine;
		this.keys = keys;
		this.kinds = List.copyOf(kinds);
	}

	@ReadOperation
	public Entry entry(@Nullable String key, @Nullable String group, @Nullable String id, @Nullable String kind,
			@Nullable String identity, @Nullable String operation) {
		String storeKey = storeKey(key, group, id, kind, identity, operation);
		return Entry.of(storeKey, this.engine.inspect(storeKey));
	}

	@DeleteOperation
	public Eviction evict(@Nullable String key, @Nullable String group, @Nullable String id, @Nullable String kind,
			@Nullable String identity, @Nullable String operation, SecurityContext security) {
		String storeKey = storeKey(key, group, id, kind, identity, operation);
		Entry before = Entry.of(storeKey, this.engine.inspect(storeKey));
		boolean deleted = this.engine.evict(storeKey);
		Principal who = security.getPrincipal();
		log.warn("Dedup entry {} evicted through the dedup endpoint by {} (it was {}; deleted: {})", storeKey,
				(who != null) ? who.getName() : "an unauthenticated caller", before.state(), deleted);
		return new Eviction(storeKey, deleted, before);
	}

	private String storeKey(@Nullable String key, @Nullable String group, @Nullable String id,
			@Nullable String kind, @Nullable String identity, @Nullable String operation) {
		try {
			if (key != null) {
				return key;
			}
			if (group != null) {
				return this.keys.kafka(group, required("id", id, "a Kafka key"));
			}
			if (kind != null) {
				return http(kind, identity, operation, id);
			}
		}
		catch (IllegalArgumentException ex) { // InvalidMessageIdException included
			throw new InvalidEndpointRequestException(ex.getMessage(), ex.getMessage());
		}
		String message = "Name a dedup key: key=<store key>, or group=<consumer group>&id=<message id>, or "
				+ "kind=<" + String.join("|", knownKinds()) + ">&identity=…&operation=…&id=…";
		throw new InvalidEndpointRequestException(message, message);
	}

	private String http(String kind, @Nullable String identity, @Nullable String operation, @Nullable String id) {
		for (EndpointKeys builder : this.kinds) {
			if (builder.kinds().contains(kind)) {
				String what = "a " + kind + " key";
				return builder.key(kind, required("identity", identity, what), required("operation", operation, what),
						required("id", id, what));
			}
		}
		throw new IllegalArgumentException("Unknown key kind '" + kind + "'; known: " + knownKinds());
	}

	private TreeSet<String> knownKinds() {
		TreeSet<String> known = new TreeSet<>();
		this.kinds.forEach(builder -> known.addAll(builder.kinds()));
		return known;
	}

	private static String required(String name, @Nullable String value, String what) {
		if (value == null || value.isEmpty()) {
			throw new IllegalArgumentException("'" + name + "' is required for " + what);
		}
		return value;
	}

	/**
	 * One key's entry.
	 * @param state ABSENT (none, or expired), CONSUMING or CONSUMED
	 * @param ownerPresent whether a claim holds it (CONSUMING)
	 * @param remainingMillis what is left of the lease (CONSUMING) or the retention (CONSUMED)
	 * @param resultBytes the size of the stored result (an HTTP response), if any
	 */
	public record Entry(String key, String state, boolean ownerPresent, @Nullable Long remainingMillis,
			@Nullable Integer resultBytes) implements OperationResponseBody {

		static Entry of(String key, Optional<StoredEntry> stored) {
			return stored.map(entry -> new Entry(key, entry.state().name(), entry.owner() != null,
					entry.remainingTtl().toMillis(), (entry.result() != null) ? entry.result().length : null))
				.orElseGet(() -> new Entry(key, "ABSENT", false, null, null));
		}

	}

	/** What a delete did: whether an entry was deleted, and what it was. */
	public record Eviction(String key, boolean deleted, Entry before) implements OperationResponseBody {
	}

}
