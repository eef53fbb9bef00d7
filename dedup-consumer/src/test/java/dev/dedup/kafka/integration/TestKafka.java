package dev.dedup.kafka.integration;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * One real Kafka broker per test JVM: Testcontainers {@code apache/kafka} when a Docker engine is there,
 * otherwise spring-kafka-test's {@link EmbeddedKafkaKraftBroker} (a real KRaft broker inside this JVM,
 * reachable over TCP by child JVMs too).
 */
final class TestKafka {

	private static final String IMAGE = "apache/kafka:4.1.1";

	private static TestKafka instance;

	private final String bootstrapServers;

	private TestKafka(String bootstrapServers) {
		this.bootstrapServers = bootstrapServers;
	}

	static synchronized TestKafka get() {
		if (instance == null) {
			instance = dockerAvailable() ? startContainer() : startEmbedded();
		}
		return instance;
	}

	String bootstrapServers() {
		return this.bootstrapServers;
	}

	void createTopic(String topic, int partitions) {
		try (AdminClient admin = AdminClient.create(
				Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, this.bootstrapServers))) {
			admin.createTopics(java.util.List.of(new NewTopic(topic, partitions, (short) 1))).all().get(30,
					TimeUnit.SECONDS);
		}
		catch (Exception ex) {
			throw new IllegalStateException("Could not create topic " + topic + " on " + this.bootstrapServers, ex);
		}
	}

	/**
	 * Creates {@code topic} and returns the properties of a consumer app on it: this broker from the earliest
	 * offset, the Redis store at {@code redisUrl} under {@code keyPrefix}, and {@code test.topic} /
	 * {@code test.group} for the test listeners.
	 */
	Map<String, Object> consumerApp(String topic, int partitions, String group, String keyPrefix, String redisUrl) {
		createTopic(topic, partitions);
		Map<String, Object> properties = new HashMap<>();
		properties.put("spring.kafka.bootstrap-servers", this.bootstrapServers);
		properties.put("spring.kafka.consumer.auto-offset-reset", "earliest");
		properties.put("spring.kafka.producer.properties.enable.idempotence", "false"); // see producerConfig()
		properties.put("spring.kafka.producer.properties.max.in.flight.requests.per.connection", "1");
		properties.put("spring.data.redis.url", redisUrl);
		properties.put("dedup.store", "redis");
		properties.put("dedup.key-prefix", keyPrefix);
		properties.put("test.topic", topic);
		properties.put("test.group", group);
		return properties;
	}

	KafkaProducer<String, String> producer() {
		return new KafkaProducer<>(producerConfig(), new StringSerializer(), new StringSerializer());
	}

	/**
	 * Without idempotence: on a starved 2-core machine the in-JVM broker has been seen to answer an idempotent
	 * producer's retry with OutOfOrderSequenceException forever. A retry may then write a record twice, which
	 * these tests tolerate: duplicates are what dedup is for.
	 */
	private Map<String, Object> producerConfig() {
		return Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, this.bootstrapServers,
				ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false, ProducerConfig.ACKS_CONFIG, "all",
				ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
	}

	/** Sends each payload with itself as its {@code dedup-id}, and waits until all are written. */
	void send(String topic, List<String> payloads) {
		try (KafkaProducer<String, String> producer = producer()) {
			payloads.forEach(payload -> producer.send(record(topic, null, payload, payload)));
			producer.flush();
		}
	}

	static ProducerRecord<String, String> record(String topic, String key, String payload, String dedupId) {
		ProducerRecord<String, String> record = new ProducerRecord<>(topic, key, payload);
		record.headers().add("dedup-id", dedupId.getBytes(StandardCharsets.UTF_8));
		return record;
	}

	private static TestKafka startEmbedded() {
		EmbeddedKafkaKraftBroker broker = new EmbeddedKafkaKraftBroker(1, 1);
		broker.brokerProperty("group.initial.rebalance.delay.ms", "0");
		broker.brokerProperty("offsets.topic.num.partitions", "1");
		broker.afterPropertiesSet();
		Runtime.getRuntime().addShutdownHook(new Thread(broker::destroy, "embedded-kafka-shutdown"));
		return new TestKafka(broker.getBrokersAsString());
	}

	private static TestKafka startContainer() {
		org.testcontainers.kafka.KafkaContainer container = new org.testcontainers.kafka.KafkaContainer(IMAGE);
		container.start();
		Runtime.getRuntime().addShutdownHook(new Thread(container::stop, "kafka-container-shutdown"));
		return new TestKafka(container.getBootstrapServers());
	}

	private static boolean dockerAvailable() {
		try {
			return org.testcontainers.DockerClientFactory.instance().isDockerAvailable();
		}
		catch (Throwable ex) {
			return false;
		}
	}

}
