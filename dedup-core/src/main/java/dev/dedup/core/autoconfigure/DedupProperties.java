package dev.dedup.core.autoconfigure;

import java.time.Duration;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

import dev.dedup.core.Durations;
import dev.dedup.core.engine.StoreFailurePolicy;
import dev.dedup.core.key.DedupKeys;
import dev.dedup.core.key.KafkaKeyLayout;
import dev.dedup.core.store.InMemoryDedupStore;

/**
 * Properties shared by every dedup adapter ({@code dedup.*}).
 */
@ConfigurationProperties("dedup")
public class DedupProperties {

	/**
	 * Which key store to use. Unset: Redis when a RedisConnectionFactory exists, else the in-memory store
	 * (with a warning: it is neither shared nor durable). The JDBC store is used only when chosen here.
	 */
	private @Nullable StoreType store;

	/**
	 * First segment of every store key: {prefix}:{kind}:{segment}:..., e.g. {prefix}:kafka:{group}:{id}.
	 */
	private String keyPrefix = "dedup";

	/**
	 * What to do when the store cannot be reached: fail-closed retries the delivery later, fail-open runs
	 * the handler without dedup protection.
	 */
	private StoreFailurePolicy onStoreFailure = StoreFailurePolicy.FAIL_CLOSED;

	/**
	 * Deadline of every store call dedup makes, whatever the client library's own timeout is (Lettuce's
	 * default is 60s). A call without an answer by then fails as "store unavailable".
	 */
	private Duration storeTimeout = Duration.ofSeconds(2);

	private final CircuitBreaker circuitBreaker = new CircuitBreaker();

	private final Memory memory = new Memory();

	private final Kafka kafka = new Kafka();

	public @Nullable StoreType getStore() {
		return this.store;
	}

	public void setStore(@Nullable StoreType store) {
		this.store = store;
	}

	public String getKeyPrefix() {
		return this.keyPrefix;
	}

	public void setKeyPrefix(String keyPrefix) {
		this.keyPrefix = keyPrefix;
	}

	public StoreFailurePolicy getOnStoreFailure() {
		return this.onStoreFailure;
	}

	public void setOnStoreFailure(StoreFailurePolicy onStoreFailure) {
		this.onStoreFailure = onStoreFailure;
	}

	public Duration getStoreTimeout() {
		return this.storeTimeout;
	}

	public void setStoreTimeout(Duration storeTimeout) {
		this.storeTimeout = Durations.requireAtLeastOneMilli(storeTimeout, "dedup.store-timeout");
	}

	public CircuitBreaker getCircuitBreaker() {
		return this.circuitBreaker;
	}

	public Memory getMemory() {
		return this.memory;
	}

	public Kafka getKafka() {
		return this.kafka;
	}

	/**
	 * How Kafka keys are built ({@code dedup.kafka.*}; dedup-consumer binds the rest of that group). It lives
	 * here because the one key builder, {@link DedupKeys}, is made here.
	 */
	public static class Kafka {

		/**
		 * Layout of Kafka keys: kinded ({prefix}:kafka:{group}:{id}) or legacy ({prefix}:{group}:{id}, as
		 * dedup wrote them before the kinds; keeps ids consumed before an upgrade recognised). HTTP keys are
		 * the same in both.
		 */
		private KafkaKeyLayout keyLayout = KafkaKeyLayout.KINDED;

		public KafkaKeyLayout getKeyLayout() {
			return this.keyLayout;
		}

		public void setKeyLayout(KafkaKeyLayout keyLayout) {
			this.keyLayout = keyLayout;
		}

	}

	/** The in-memory store ({@code dedup.memory.*}), for tests and single-instance demos. */
	public static class Memory {

		/**
		 * The most CONSUMED entries it holds; past it Caffeine's size policy drops some before their retention
		 * ends, so a later copy of such a message runs again. Live claims are never dropped for room, and
		 * expired entries are dropped whatever this is.
		 */
		private long maxEntries = InMemoryDedupStore.DEFAULT_MAX_ENTRIES;

		public long getMaxEntries() {
			return this.maxEntries;
		}

		public void setMaxEntries(long maxEntries) {
			if (maxEntries < 1) {
				throw new IllegalArgumentException("dedup.memory.max-entries must be at least 1, was " + maxEntries);
			}
			this.maxEntries = maxEntries;
		}

	}

	/**
	 * Fail fast while the store is known to be down ({@code dedup.circuit-breaker.*}): after failures, calls
	 * fail at once for a short while instead of each waiting out the store timeout.
	 */
	public static class CircuitBreaker {

		/**
		 * Whether store calls go through a circuit breaker. Off: every call waits up to the store timeout.
		 */
		private boolean enabled = true;

		/**
		 * Percentage of failed calls among the last sliding-window-size calls that opens the breaker.
		 */
		private float failureRateThreshold = 50;

		/**
		 * How many of the most recent store calls the failure rate is computed over.
		 */
		private int slidingWindowSize = 10;

		/**
		 * Calls needed before the failure rate counts at all.
		 */
		private int minimumCalls = 5;

		/**
		 * How long an open breaker fails calls at once before letting trial calls through.
		 */
		private Duration openDuration = Duration.ofSeconds(1);

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		public float getFailureRateThreshold() {
			return this.failureRateThreshold;
		}

		public void setFailureRateThreshold(float failureRateThreshold) {
			this.failureRateThreshold = failureRateThreshold;
		}

		public int getSlidingWindowSize() {
			return this.slidingWindowSize;
		}

		public void setSlidingWindowSize(int slidingWindowSize) {
			this.slidingWindowSize = slidingWindowSize;
		}

		public int getMinimumCalls() {
			return this.minimumCalls;
		}

		public void setMinimumCalls(int minimumCalls) {
			this.minimumCalls = minimumCalls;
		}

		public Duration getOpenDuration() {
			return this.openDuration;
		}

		public void setOpenDuration(Duration openDuration) {
			this.openDuration = openDuration;
		}

	}

	/** The stores the auto-configuration knows. */
	public enum StoreType {

		/** Redis through Spring Data Redis (module dedup-store-redis). */
		REDIS,

		/** A SQL table through JDBC: MySQL, MariaDB, PostgreSQL or H2 (module dedup-store-jdbc). */
		JDBC,

		/** This JVM's memory: tests and single-instance demos only. */
		MEMORY

	}

}
