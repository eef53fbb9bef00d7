package dev.dedup.http.integration;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import com.jayway.jsonpath.JsonPath;

/** A real HTTP client (java.net.http) for the app under test, and a start gate for many at once. */
public final class Client {

	private final HttpClient http = HttpClient.newBuilder()
		.version(HttpClient.Version.HTTP_1_1)
		.connectTimeout(Duration.ofSeconds(5))
		.build();

	private final String base;

	public Client(int port) {
		this.base = "http://127.0.0.1:" + port;
	}

	public HttpRequest.Builder request(String path, String body, String... headers) {
		HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(this.base + path))
			.timeout(Duration.ofSeconds(60))
			.POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
			.header("Content-Type", "application/json");
		for (int i = 0; i < headers.length; i += 2) {
			request.setHeader(headers[i], headers[i + 1]);
		}
		return request;
	}

	public Response send(HttpRequest.Builder request) {
		try {
			return new Response(this.http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray()));
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	public Response post(String path, String body, String... headers) {
		return send(request(path, body, headers));
	}

	public Response get(String path) {
		return send(HttpRequest.newBuilder(URI.create(this.base + path)).timeout(Duration.ofSeconds(60)).GET());
	}

	/**
	 * Sends {@code count} requests from as many threads, all released by one start gate once every thread
	 * is ready. Once {@code answeredBeforeOpen} of them have been answered (or after 60 s), runs
	 * {@code open} (e.g. lets the one running handler finish). Answers in the order sent.
	 */
	public List<Response> concurrently(int count, Supplier<HttpRequest.Builder> request, int answeredBeforeOpen,
			Runnable open) throws Exception {
		ExecutorService threads = Executors.newFixedThreadPool(count);
		try {
			CountDownLatch ready = new CountDownLatch(count);
			CountDownLatch start = new CountDownLatch(1);
			List<Future<Response>> answers = new ArrayList<>();
			for (int i = 0; i < count; i++) {
				HttpRequest.Builder builder = request.get();
				answers.add(threads.submit(() -> {
					ready.countDown();
					start.await();
					return send(builder);
				}));
			}
			if (!ready.await(30, TimeUnit.SECONDS)) {
				throw new IllegalStateException("Client threads did not start");
			}
			start.countDown();
			long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
			while (answers.stream().filter(Future::isDone).count() < answeredBeforeOpen
					&& System.nanoTime() < deadline) {
				Thread.sleep(10);
			}
			open.run();
			List<Response> responses = new ArrayList<>();
			for (Future<Response> answer : answers) {
				responses.add(answer.get(90, TimeUnit.SECONDS));
			}
			return responses;
		}
		finally {
			threads.shutdownNow();
		}
	}

	/** One answer. */
	public record Response(HttpResponse<byte[]> raw) {

		public int status() {
			return this.raw.statusCode();
		}

		public byte[] bytes() {
			return this.raw.body();
		}

		public String body() {
			return new String(this.raw.body(), StandardCharsets.UTF_8);
		}

		public String header(String name) {
			return this.raw.headers().firstValue(name).orElse(null);
		}

		public List<String> headers(String name) {
			return this.raw.headers().allValues(name);
		}

		/** The problem type, for problem+json answers. */
		public String problemType() {
			return JsonPath.read(body(), "$.type");
		}

		public <T> T json(String path) {
			return JsonPath.read(body(), path);
		}

		@Override
		public String toString() {
			return status() + " " + body();
		}

	}

}
