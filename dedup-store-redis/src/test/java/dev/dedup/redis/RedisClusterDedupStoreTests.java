package dev.dedup.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import dev.dedup.core.store.ClaimOutcome;
import dev.dedup.core.store.ClaimResult;
import dev.dedup.core.store.DedupStore;
import dev.dedup.test.DedupStoreContractTests;
import dev.dedup.test.services.PrivateRedisCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.data.redis.connection.ClusterSlotHashUtil;
import org.springframework.data.redis.connection.RedisClusterConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The store contract on a real Redis Cluster of three masters ({@link PrivateRedisCluster}): a batch's keys
 * fall in many slots on every node, and Redis refuses a script whose keys span slots, so this fails unless
 * the store groups a batch by slot.
 */
class RedisClusterDedupStoreTests extends DedupStoreContractTests {

	private static PrivateRedisCluster cluster;

	private static LettuceConnectionFactory factory;

	private static RedisDedupStore store;

	@BeforeAll
	static void connect() {
		cluster = new PrivateRedisCluster();
		factory = new LettuceConnectionFactory(new RedisClusterConfiguration(cluster.nodes()));
		factory.afterPropertiesSet();
		factory.start();
		store = new RedisDedupStore(factory);
	}

	@AfterAll
	static void disconnect() {
		factory.destroy();
		cluster.close();
	}

	@Override
	protected DedupStore store() {
		return store;
	}

	@Test
	void aBatchOverManySlotsIsClaimedAndCompletedAsAWhole() {
		List<String> keys = new ArrayList<>();
		Set<Integer> slots = new HashSet<>();
		for (int i = 0; i < 600; i++) {
			String key = key("cluster-batch-" + i);
			keys.add(key);
			slots.add(ClusterSlotHashUtil.calculateSlot(key));
		}
		assertThat(slots).as("the keys span many slots").hasSizeGreaterThan(100);

		List<ClaimResult> claims = store.claimAll(keys, "owner-a", Duration.ofSeconds(30));
		assertThat(claims).extracting(ClaimResult::outcome).containsOnly(ClaimOutcome.ACQUIRED);
		assertThat(store.completeAll(keys, "owner-a", Duration.ofMinutes(5))).containsOnly(true);
		assertThat(store.claimAll(keys, "owner-b", Duration.ofSeconds(30))).extracting(ClaimResult::outcome)
			.containsOnly(ClaimOutcome.DUPLICATE);
	}

	/** A poll's row would share a hash slot with none of its keys: on a cluster each key is its own entry. */
	@Test
	void aPollOverManySlotsIsClaimedAndCompletedKeyByKey() {
		List<String> keys = new ArrayList<>();
		for (int i = 0; i < 50; i++) {
			keys.add(key("cluster-poll-" + i));
		}
		assertThat(store.completesPollsInOneWrite()).isFalse();

		assertThat(store.claimPoll(keys, "owner-a", Duration.ofSeconds(30), Duration.ofMinutes(5)))
			.extracting(ClaimResult::outcome)
			.containsOnly(ClaimOutcome.ACQUIRED);
		assertThat(store.inspect(keys.get(0))).hasValueSatisfying(entry -> assertThat(entry.owner()).isEqualTo("owner-a"));
		assertThat(store.completePoll(keys, "owner-a", Duration.ofMinutes(5))).containsOnly(true);
		assertThat(store.claimAll(keys, "owner-b", Duration.ofSeconds(30))).extracting(ClaimResult::outcome)
			.containsOnly(ClaimOutcome.DUPLICATE);
	}

}
