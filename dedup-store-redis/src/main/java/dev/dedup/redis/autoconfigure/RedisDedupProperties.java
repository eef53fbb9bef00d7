package dev.dedup.redis.autoconfigure;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Settings of the Redis dedup store ({@code dedup.redis.*}).
 */
@ConfigurationProperties("dedup.redis")
public class RedisDedupProperties {

	/**
	 * Replicas each mark (complete) must reach before it counts as done: each mark is followed by Redis' WAIT,
	 * and fails as a store error if fewer replicas acknowledged it within wait-timeout. 0 (the default): no
	 * WAIT, and a mark acknowledged just before a failover can be lost (replication is asynchronous), so its
	 * message is processed again. Needs Lettuce's shared connection to one master (standalone or Sentinel),
	 * not Redis Cluster.
	 */
	private int waitForReplicas;

	/**
	 * How long Redis waits for wait-for-replicas replicas after a mark; shorter than dedup.store-timeout (and
	 * than spring.data.redis.timeout, Lettuce's own limit). WAIT holds the shared connection meanwhile, so
	 * commands of other threads queue behind it.
	 */
	private Duration waitTimeout = Duration.ofSeconds(1);

	/**
	 * Whether the claims of one Kafka poll share one row, which holds their lease and then, in one write, their
	 * CONSUMED state (standalone and Sentinel, with Lettuce; on Redis Cluster each key is its own entry
	 * anyway). false writes each key as an entry of its own, as dedup did before 2026-12-08: set it while
	 * instances of that earlier version share the store, since they read a key of a poll as an entry dedup
	 * did not write, and turn it on once all run this one.
	 */
	private boolean pollRows = true;

	public int getWaitForReplicas() {
		return this.waitForReplicas;
	}

	public void setWaitForReplicas(int waitForReplicas) {
		if (waitForReplicas < 0) {
			throw new IllegalArgumentException("dedup.redis.wait-for-replicas must be 0 (off) or more, was "
					+ waitForReplicas);
		}
		this.waitForReplicas = waitForReplicas;
	}

	public boolean isPollRows() {
		return this.pollRows;
	}

	public void setPollRows(boolean pollRows) {
		this.pollRows = pollRows;
	}

	public Duration getWaitTimeout() {
		return this.waitTimeout;
	}

	public void setWaitTimeout(Duration waitTimeout) {
		this.waitTimeout = waitTimeout;
	}

}
