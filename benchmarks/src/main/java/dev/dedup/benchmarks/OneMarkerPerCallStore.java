package dev.dedup.benchmarks;

import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.core.JdbcTemplate;

import dev.dedup.core.store.ClaimResult;
import dev.dedup.core.store.DedupStore;
import dev.dedup.core.store.StoredEntry;

/**
 * The {@code *-claim-ceiling} variants' store: dedup's own claims on the real store, but each batch of marks
 * replaced by one marker row in the floor's table, answered as done. Not a correct store (the marked keys
 * stay CONSUMING until their lease runs out); it measures what a design whose only per-record write is
 * dedup's claim, and whose marks are one write per poll, could reach with dedup's row, engine and adapters.
 */
final class OneMarkerPerCallStore implements DedupStore {

	private final DedupStore store;

	private final JdbcTemplate jdbc;

	private final String markerPrefix;

	private final AtomicLong markers = new AtomicLong();

	OneMarkerPerCallStore(DedupStore store, JdbcTemplate jdbc, String markerPrefix) {
		this.store = store;
		this.jdbc = jdbc;
		this.markerPrefix = markerPrefix;
		jdbc.execute("CREATE TABLE IF NOT EXISTS bench_floor (k VARCHAR(255) NOT NULL PRIMARY KEY, state CHAR(1) NOT NULL)");
	}

	DedupStore store() {
		return this.store;
	}

	@Override
	public List<Boolean> completeAll(List<String> keys, String owner, Duration retention) {
		this.jdbc.update("INSERT INTO bench_floor (k, state) VALUES (?, 'D')",
				this.markerPrefix + "marker-" + this.markers.incrementAndGet());
		return Collections.nCopies(keys.size(), Boolean.TRUE);
	}

	@Override
	public List<ClaimResult> claimAll(List<String> keys, String owner, Duration lease) {
		return this.store.claimAll(keys, owner, lease);
	}

	@Override
	public ClaimResult claim(String key, String owner, Duration lease) {
		return this.store.claim(key, owner, lease);
	}

	@Override
	public boolean complete(String key, String owner, Duration retention, byte @Nullable [] result) {
		return this.store.complete(key, owner, retention, result);
	}

	@Override
	public boolean release(String key, String owner) {
		return this.store.release(key, owner);
	}

	@Override
	public boolean renew(String key, String owner, Duration lease) {
		return this.store.renew(key, owner, lease);
	}

	@Override
	public Optional<StoredEntry> inspect(String key) {
		return this.store.inspect(key);
	}

	@Override
	public boolean joinsCurrentTransaction() {
		return this.store.joinsCurrentTransaction();
	}

	@Override
	public int maxKeyLength() {
		return this.store.maxKeyLength();
	}

}
