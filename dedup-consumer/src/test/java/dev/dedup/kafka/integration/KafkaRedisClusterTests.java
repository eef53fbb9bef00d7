package dev.dedup.kafka.integration;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.dedup.core.engine.DedupEngine;
import dev.dedup.core.store.CountingDedupStore;
import dev.dedup.core.store.DedupStore;
import dev.dedup.core.store.ForwardingDedupStore;
import dev.dedup.core.store.StoreOperation;
import dev.dedup.kafka.poll.DedupKafkaStats;
import dev.dedup.redis.RedisDedupStore;
import dev.dedup.test.services.PrivateRedisCluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A record listener with poll batching on a three-master Redis Cluster ({@link PrivateRedisCluster}): a
 * poll's keys fall into many hash slots on all three nodes, so each claim-ahead and each batch of marks is
 * split into one script per slot. Every id is handled once, resends are skipped, and polls were claimed in
 * batches.
 */
@SpringBootTest(classes = KafkaRedisClusterTests.App.class)
class KafkaRedisClusterTests {

	static final String RUN = UUID.randomUUID().toString().substring(0, 8);

	static final String TOPIC = "cluster-orders-" + RUN;

	private static PrivateRedisCluster cluster;

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		cluster = new PrivateRedisCluster();
		TestKafka.get()
			.consumerApp(TOPIC, 4, "cluster-" + RUN, "cl-" + RUN, "")
			.forEach((name, value) -> {
				if (!name.equals("spring.data.redis.url")) { // the cluster's nodes instead
					registry.add(name, () -> value);
				}
			});
		registry.add("spring.data.redis.cluster.nodes", () -> String.join(",", cluster.nodes()));
	}

	@AfterAll
	static void stopCluster() {
		if (cluster != null) {
			cluster.close();
		}
	}

	@Autowired
	RecordingListener listener;

	@Autowired
	DedupStore store;

	@Autowired
	DedupEngine engine;

	@Autowired
	DedupKafkaStats stats;

	@Autowired
	KafkaListenerEndpointRegistry registry;

	@Test
	void everyIdIsHandledOnceAcrossTheNodesAndPollsAreClaimedInBatches() {
		assertThat(this.store).isInstanceOf(RedisDedupStore.class);
		List<String> ids = new ArrayList<>();
		for (int i = 0; i < 300; i++) {
			ids.add("order-" + RUN + "-" + i);
		}
		List<String> sent = new ArrayList<>(ids);
		sent.addAll(ids.subList(0, 100)); // resends
		TestKafka.get().send(TOPIC, sent);

		await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
			assertThat(ids).allSatisfy(id -> assertThat(this.listener.handledCount(id)).as(id).isEqualTo(1));
			assertThat(this.stats.count(DedupKafkaStats.Event.DUPLICATE)).isEqualTo(100);
		});
		List<DedupKafkaStats.Scope> scopes = new ArrayList<>();
		this.stats.onEachGroup((scope, counts) -> scopes.add(scope));
		String listenerId = this.registry.getListenerContainers().iterator().next().getListenerId();
		assertThat(scopes).as("the counts are the group's and the listener's (the meters' tags)")
			.contains(new DedupKafkaStats.Scope("cluster-" + RUN, listenerId));
		CountingDedupStore counts = ForwardingDedupStore.find(this.engine.store(), CountingDedupStore.class);
		assertThat(counts).isNotNull();
		assertThat(counts.keys(StoreOperation.CLAIM_ALL)).as("keys claimed in batches")
			.isGreaterThan(counts.calls(StoreOperation.CLAIM_ALL));
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class App {

		@Bean
		RecordingListener recordingListener() {
			return new RecordingListener();
		}

	}

}
