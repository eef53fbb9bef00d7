package dev.dedup.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import org.apache.kafka.common.utils.AppInfoParser;
import org.junit.jupiter.api.Test;
import org.springframework.core.env.PropertiesPropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.yaml.snakeyaml.Yaml;

/**
 * docker/compose.yaml and the 'compose' profile (application-compose.properties) describe the same services
 * from two sides; these checks fail as soon as one side changes without the other. They only read the two
 * files: no Docker needed.
 */
class ComposeFileTests {

	/** Relative to the samples module, the working directory of Maven's test run. */
	private static final Path COMPOSE_FILE = Path.of("../docker/compose.yaml");

	/** Addresses the profile may use for "this machine", where the compose file publishes its ports. */
	private static final Set<String> LOCAL_HOSTS = Set.of("localhost", "127.0.0.1");

	/** Host IPs of a port mapping that make the port reachable at localhost ("" means all interfaces). */
	private static final Set<String> LOCAL_BINDINGS = Set.of("", "127.0.0.1", "0.0.0.0");

	private final Map<String, Object> compose = loadCompose();

	private final Properties profile = loadProfile();

	@Test
	void kafkaIsPublishedAndAdvertisedAtTheBootstrapServers() {
		Map<String, Object> kafka = service("apache/kafka");
		Map<String, String> environment = environment(kafka);
		List<Integer> listenerPorts = ports(environment.get("KAFKA_LISTENERS"));
		for (String address : required("spring.kafka.bootstrap-servers").split(",")) {
			PortMapping mapping = publishedFor(kafka, address.trim(), "spring.kafka.bootstrap-servers");
			assertThat(listenerPorts)
				.as("Kafka's published port %d leads to container port %d, where KAFKA_LISTENERS (%s) has no listener",
						mapping.host(), mapping.container(), environment.get("KAFKA_LISTENERS"))
				.contains(mapping.container());
			// The client only bootstraps there, then connects to what the broker advertises.
			assertThat(addresses(environment.get("KAFKA_ADVERTISED_LISTENERS")))
				.as("spring.kafka.bootstrap-servers has %s, but KAFKA_ADVERTISED_LISTENERS in %s is %s", address,
						COMPOSE_FILE, environment.get("KAFKA_ADVERTISED_LISTENERS"))
				.contains(address.trim());
		}
	}

	@Test
	void redisIsPublishedAtTheProfilesHostAndPort() {
		publishedFor(service("redis"), required("spring.data.redis.host") + ":" + required("spring.data.redis.port"),
				"spring.data.redis.host/port");
	}

	@Test
	void mysqlIsPublishedAtTheJdbcUrlAndHasItsDatabaseAndUser() {
		Map<String, Object> mysql = service("mysql");
		String url = required("spring.datasource.url");
		assertThat(url).as("spring.datasource.url is no MySQL URL").startsWith("jdbc:mysql://");
		URI uri = URI.create(url.substring("jdbc:".length()));
		publishedFor(mysql, uri.getHost() + ":" + (uri.getPort() == -1 ? 3306 : uri.getPort()),
				"spring.datasource.url");

		Map<String, String> environment = environment(mysql);
		assertThat(uri.getPath().substring(1))
			.as("the database of spring.datasource.url differs from MYSQL_DATABASE in %s", COMPOSE_FILE)
			.isEqualTo(environment.get("MYSQL_DATABASE"));
		assertThat(required("spring.datasource.username"))
			.as("spring.datasource.username differs from MYSQL_USER in %s", COMPOSE_FILE)
			.isEqualTo(environment.get("MYSQL_USER"));
		assertThat(required("spring.datasource.password"))
			.as("spring.datasource.password differs from MYSQL_PASSWORD in %s", COMPOSE_FILE)
			.isEqualTo(environment.get("MYSQL_PASSWORD"));
	}

	@Test
	void everyServiceHasAHealthcheckAndKeepsItsDataInNamedVolumes() {
		Map<String, Object> declared = map(this.compose.get("volumes"));
		services().forEach((name, service) -> {
			Map<String, Object> healthcheck = map(service.get("healthcheck"));
			assertThat(healthcheck.get("test")).as("service '%s' has no healthcheck test", name).isNotNull();
			assertThat(String.valueOf(healthcheck.get("test")))
				.as("service '%s' has its healthcheck switched off", name)
				.doesNotContain("NONE");
			assertThat(healthcheck.get("disable")).as("service '%s' disables its healthcheck", name)
				.isNotEqualTo(Boolean.TRUE);

			List<?> volumes = list(service.get("volumes"));
			assertThat(volumes).as("service '%s' mounts no volume: its data is lost with the container", name)
				.isNotEmpty();
			for (Object volume : volumes) {
				// Short syntax source:target[:mode]; a bind mount's source is a path, an anonymous volume has none.
				String source = (volume instanceof Map<?, ?> mount) ? String.valueOf(mount.get("source"))
						: String.valueOf(volume).split(":")[0];
				assertThat(declared)
					.as("service '%s' mounts %s, which is not a named volume declared under 'volumes:' in %s", name,
							volume, COMPOSE_FILE)
					.containsKey(source);
			}
		});
	}

	@Test
	void theKafkaImageIsTheReleaseOfTheKafkaClientsOnTheClassPath() {
		String image = String.valueOf(service("apache/kafka").get("image"));
		assertThat(image.substring(image.lastIndexOf(':') + 1))
			.as("kafka-clients is %s but %s runs %s: upgrade the image with the client", AppInfoParser.getVersion(),
					COMPOSE_FILE, image)
			.isEqualTo(AppInfoParser.getVersion());
	}

	@Test
	void theProfileKeepsTheEmbeddedBrokerFromStarting() {
		// EmbeddedKafkaInitializer's own condition, checked without calling it: if the check failed, calling it
		// would start a real broker inside the test.
		StandardEnvironment environment = new StandardEnvironment();
		environment.getPropertySources().addFirst(new PropertiesPropertySource("compose", this.profile));
		assertThat(environment.containsProperty(EmbeddedKafkaInitializer.BOOTSTRAP_SERVERS))
			.as("the compose profile sets no %s, so EmbeddedKafkaInitializer would start an embedded broker",
					EmbeddedKafkaInitializer.BOOTSTRAP_SERVERS)
			.isTrue();
	}

	/**
	 * The mapping of {@code service} that publishes the port of {@code address} (host:port) where the profile
	 * can reach it.
	 */
	private PortMapping publishedFor(Map<String, Object> service, String address, String property) {
		String host = address.substring(0, address.lastIndexOf(':'));
		int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
		assertThat(LOCAL_HOSTS).as("%s points at %s, not at this machine where %s publishes its ports", property,
				address, COMPOSE_FILE).contains(host);
		List<PortMapping> mappings = new ArrayList<>();
		for (Object entry : list(service.get("ports"))) {
			mappings.add(PortMapping.parse(String.valueOf(entry)));
		}
		return mappings.stream()
			.filter((mapping) -> mapping.host() == port && LOCAL_BINDINGS.contains(mapping.hostIp()))
			.findFirst()
			.orElseThrow(() -> new AssertionError(property + " uses " + address + ", but service image "
					+ service.get("image") + " in " + COMPOSE_FILE + " publishes " + service.get("ports")));
	}

	/** The one service running {@code repository} (the image name without its tag). */
	private Map<String, Object> service(String repository) {
		List<Map<String, Object>> matches = services().values()
			.stream()
			.filter((service) -> String.valueOf(service.get("image")).startsWith(repository + ":"))
			.toList();
		assertThat(matches).as("%s has no single service with image %s:<tag>", COMPOSE_FILE, repository).hasSize(1);
		return matches.get(0);
	}

	private Map<String, Map<String, Object>> services() {
		Map<String, Map<String, Object>> services = new LinkedHashMap<>();
		map(this.compose.get("services")).forEach((name, service) -> services.put(name, map(service)));
		assertThat(services).as("%s declares no services", COMPOSE_FILE).isNotEmpty();
		return services;
	}

	/** A service's environment, written as a map or as a list of KEY=value. */
	private static Map<String, String> environment(Map<String, Object> service) {
		Object environment = service.getOrDefault("environment", Map.of());
		Map<String, String> variables = new LinkedHashMap<>();
		if (environment instanceof List<?> list) {
			list.forEach((entry) -> variables.put(String.valueOf(entry).split("=", 2)[0],
					String.valueOf(entry).split("=", 2)[1]));
		}
		else {
			map(environment).forEach((key, value) -> variables.put(key, String.valueOf(value)));
		}
		return variables;
	}

	/** host:port of each listener in a Kafka listener list such as {@code PLAINTEXT://localhost:9092,…}. */
	private static List<String> addresses(String listeners) {
		assertThat(listeners).as("the Kafka service sets no listener list").isNotNull();
		return List.of(listeners.split(","))
			.stream()
			.map((listener) -> listener.trim().replaceFirst("^.*://", ""))
			.toList();
	}

	private static List<Integer> ports(String listeners) {
		return addresses(listeners).stream()
			.map((address) -> Integer.parseInt(address.substring(address.lastIndexOf(':') + 1)))
			.toList();
	}

	private String required(String key) {
		String value = this.profile.getProperty(key);
		assertThat(value).as("application-compose.properties does not set %s", key).isNotBlank();
		return value.trim();
	}

	private static List<?> list(Object value) {
		return (value != null) ? (List<?>) value : List.of();
	}

	/** A YAML mapping; a key written with nothing after it (e.g. a bare {@code healthcheck:}) is empty. */
	@SuppressWarnings("unchecked")
	private static Map<String, Object> map(Object value) {
		return (value != null) ? (Map<String, Object>) value : Map.of();
	}

	private static Map<String, Object> loadCompose() {
		try (Reader reader = Files.newBufferedReader(COMPOSE_FILE)) {
			return new Yaml().load(reader);
		}
		catch (IOException ex) {
			throw new IllegalStateException("Cannot read " + COMPOSE_FILE.toAbsolutePath(), ex);
		}
	}

	private static Properties loadProfile() {
		Properties properties = new Properties();
		try (InputStream in = ComposeFileTests.class.getResourceAsStream("/application-compose.properties")) {
			assertThat(in).as("application-compose.properties is not on the class path").isNotNull();
			properties.load(in);
			return properties;
		}
		catch (IOException ex) {
			throw new IllegalStateException("Cannot read application-compose.properties", ex);
		}
	}

	/** A short-syntax port mapping: {@code [host_ip:]host_port:container_port[/protocol]}. */
	record PortMapping(String hostIp, int host, int container) {

		static PortMapping parse(String entry) {
			String[] parts = entry.replaceFirst("/(tcp|udp)$", "").split(":");
			if (parts.length < 2) {
				// Only a container port: Docker picks a random host port, which no profile can name.
				return new PortMapping("", -1, Integer.parseInt(parts[0]));
			}
			String hostIp = parts.length == 3 ? parts[0] : "";
			return new PortMapping(hostIp, Integer.parseInt(parts[parts.length - 2]),
					Integer.parseInt(parts[parts.length - 1]));
		}

	}

}
