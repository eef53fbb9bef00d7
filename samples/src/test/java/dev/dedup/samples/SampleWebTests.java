package dev.dedup.samples;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;

/** The 'web' profile, as the README runs it: the three order endpoints, then a report as usual. */
class SampleWebTests {

	private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

	@Test
	void theWebProfileServesOneProtectedOrderEndpointPerStrategy() throws Exception {
		SpringApplication application = new SpringApplication(SampleApplication.class);
		application.addInitializers(new EmbeddedKafkaInitializer());
		try (ConfigurableApplicationContext context = application.run("--spring.profiles.active=web",
				"--server.port=0", "--sample.charge-time=0s", "--sample.messages=4",
				"--sample.topic=sample-web-test-orders")) {
			assertThat(context).isInstanceOf(WebServerApplicationContext.class);
			String base = "http://127.0.0.1:" + ((WebServerApplicationContext) context).getWebServer().getPort();
			String order = "{\"item\":\"book\",\"quantity\":1}";

			assertThat(post(base + "/orders/lock", order, "X-User", "alice").statusCode()).isEqualTo(200);
			assertThat(post(base + "/orders/lock", order).statusCode()).as("no identity").isEqualTo(401);

			HttpResponse<String> token = post(base + "/dedup/tokens?operation=/orders/token", "", "X-User", "alice");
			assertThat(token.statusCode()).isEqualTo(201);
			String value = token.body().replaceAll(".*\"token\":\"([^\"]+)\".*", "$1");
			assertThat(post(base + "/orders/token", order, "X-User", "alice", "Submit-Token", value).statusCode())
				.isEqualTo(200);
			assertThat(post(base + "/orders/token", order, "X-User", "alice", "Submit-Token", value).statusCode())
				.isEqualTo(409);

			// A key of this run: the sample's H2 file database keeps earlier runs' responses for 24 hours.
			String key = "k-" + UUID.randomUUID();
			HttpResponse<String> created = post(base + "/orders", order, "X-User", "alice", "Idempotency-Key", key);
			HttpResponse<String> replayed = post(base + "/orders", order, "X-User", "alice", "Idempotency-Key", key);
			assertThat(created.statusCode()).isEqualTo(201);
			assertThat(replayed.statusCode()).isEqualTo(201);
			assertThat(replayed.body()).isEqualTo(created.body());
			assertThat(replayed.headers().firstValue("Idempotent-Replayed")).contains("true");
			assertThat(context.getBean(OrderEndpoints.class).charged()).isEqualTo(3);

			// Operations: the store's health, one key read and evicted, the meters.
			HttpResponse<String> health = get(base + "/actuator/health");
			assertThat(health.statusCode()).isEqualTo(200);
			assertThat(health.body()).contains("\"dedup\":{").contains("\"status\":\"UP\"");
			String query = "kind=idem&identity=alice&operation=POST%20/orders&id=" + key;
			assertThat(get(base + "/actuator/dedup?" + query).body()).contains("\"state\":\"CONSUMED\"")
				.contains("\"resultBytes\":");
			HttpResponse<String> evicted = send(HttpRequest.newBuilder(URI.create(base + "/actuator/dedup?" + query))
				.DELETE());
			assertThat(evicted.body()).contains("\"deleted\":true");
			assertThat(get(base + "/actuator/dedup?" + query).body()).contains("\"state\":\"ABSENT\"");
			assertThat(get(base + "/actuator/metrics/dedup.http.requests?tag=outcome:replayed").statusCode())
				.isEqualTo(200);
			assertThat(get(base + "/actuator/metrics/dedup.store.calls").body()).contains("\"operation\"");
		}
	}

	private HttpResponse<String> get(String url) throws Exception {
		return send(HttpRequest.newBuilder(URI.create(url)).GET());
	}

	private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
		return this.http.send(request.build(), HttpResponse.BodyHandlers.ofString());
	}

	private HttpResponse<String> post(String url, String body, String... headers) throws Exception {
		HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString(body));
		for (int i = 0; i < headers.length; i += 2) {
			request.header(headers[i], headers[i + 1]);
		}
		return this.http.send(request.build(), HttpResponse.BodyHandlers.ofString());
	}

}
