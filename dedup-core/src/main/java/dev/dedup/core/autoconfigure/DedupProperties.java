package dev.dedup.core.autoconfigure;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

import dev.dedup.core.engine.StoreFailurePolicy;

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
	 * First segment of every store key: {prefix}:{scope}:{id}.
	 */
	private String keyPrefix = "dedup";

	/**
	 * What to do when the store cannot be reached: fail-closed retries the delivery later, fail-open runs
	 * the handler without dedup protection.
	 */
	private StoreFailurePolicy onStoreFailure = StoreFailurePolicy.FAIL_CLOSED;

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
