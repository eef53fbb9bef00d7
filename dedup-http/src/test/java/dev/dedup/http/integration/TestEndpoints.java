package dev.dedup.http.integration;

import java.util.Map;
import java.util.UUID;

import org.jspecify.annotations.Nullable;

import org.springframework.http.ResponseCookie;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import dev.dedup.http.PreventDuplicateSubmit;
import dev.dedup.http.PreventDuplicateSubmit.Strategy;

/** Handlers that count their runs in the {@link Recorder}; {@code gate=true} holds them until the test says. */
@RestController
class TestEndpoints {

	private final Recorder recorder;

	TestEndpoints(Recorder recorder) {
		this.recorder = recorder;
	}

	@PostMapping("/lock/orders")
	@PreventDuplicateSubmit
	Map<String, Object> lock(@RequestBody(required = false) @Nullable String body, @RequestHeader("X-Run") String run,
			@RequestHeader(name = "X-Gate", defaultValue = "false") boolean gate) {
		return handle(run, gate);
	}

	@PostMapping("/lock/orders/{orderId}/pay")
	@PreventDuplicateSubmit
	Map<String, Object> pay(@PathVariable String orderId, @RequestHeader("X-Run") String run,
			@RequestHeader(name = "X-Gate", defaultValue = "false") boolean gate) {
		return handle(run, gate);
	}

	@PostMapping("/lock/slow")
	@PreventDuplicateSubmit(lease = "300ms")
	Map<String, Object> slow(@RequestHeader("X-Run") String run, @RequestParam long sleepMs) {
		this.recorder.ran(run);
		Recorder.sleep(sleepMs);
		return Map.of("slept", sleepMs);
	}

	@PostMapping("/lock/cooldown")
	@PreventDuplicateSubmit(holdAfterSuccess = "5s")
	Map<String, Object> cooldown(@RequestBody String body, @RequestHeader("X-Run") String run) {
		return handle(run, false);
	}

	@PostMapping("/lock/by-customer")
	@PreventDuplicateSubmit(key = "#order.customer()")
	Map<String, Object> byCustomer(@RequestBody Order order, @RequestHeader("X-Run") String run,
			@RequestHeader(name = "X-Gate", defaultValue = "false") boolean gate) {
		return handle(run, gate);
	}

	@PostMapping("/lock/failing")
	@PreventDuplicateSubmit(holdAfterSuccess = "5s")
	ResponseEntity<String> lockFailing(@RequestBody String body, @RequestHeader("X-Run") String run,
			@RequestParam int status) {
		this.recorder.ran(run);
		return ResponseEntity.status(status).body("status " + status);
	}

	@PostMapping("/lock/async")
	@PreventDuplicateSubmit
	java.util.concurrent.Callable<Map<String, Object>> lockAsync(@RequestHeader("X-Run") String run,
			@RequestHeader(name = "X-Gate", defaultValue = "false") boolean gate) {
		return () -> handle(run, gate);
	}

	@PostMapping("/token/orders")
	@PreventDuplicateSubmit(strategy = Strategy.TOKEN)
	Map<String, Object> token(@RequestBody(required = false) @Nullable String body, @RequestHeader("X-Run") String run,
			@RequestHeader(name = "X-Gate", defaultValue = "false") boolean gate) {
		return handle(run, gate);
	}

	@PostMapping("/token/refunds")
	@PreventDuplicateSubmit(strategy = Strategy.TOKEN, operation = "refund")
	Map<String, Object> refund(@RequestHeader("X-Run") String run) {
		return handle(run, false);
	}

	@PostMapping("/idem/orders")
	@PreventDuplicateSubmit(strategy = Strategy.IDEMPOTENCY_KEY)
	ResponseEntity<Map<String, Object>> create(@RequestBody(required = false) @Nullable String body,
			@RequestHeader("X-Run") String run, @RequestHeader(name = "X-Gate", defaultValue = "false") boolean gate) {
		this.recorder.ran(run);
		if (gate) {
			this.recorder.awaitGate();
		}
		String id = UUID.randomUUID().toString();
		return ResponseEntity.created(java.net.URI.create("/idem/orders/" + id))
			.eTag("\"" + id.substring(0, 8) + "\"")
			.header("Set-Cookie", ResponseCookie.from("session", id).build().toString())
			.header("X-Trace", id)
			.body(Map.of("order", id, "received", body == null ? "" : body, "run", run));
	}

	@PostMapping("/idem/fail")
	@PreventDuplicateSubmit(strategy = Strategy.IDEMPOTENCY_KEY)
	ResponseEntity<String> fail(@RequestHeader("X-Run") String run, @RequestParam int status) {
		this.recorder.ran(run);
		if (status == 0) {
			throw new IllegalStateException("handler failed");
		}
		return ResponseEntity.status(status).body("status " + status + " #" + this.recorder.runs(run));
	}

	@GetMapping("/plain")
	String plain() {
		return "plain";
	}

	private Map<String, Object> handle(String run, boolean gate) {
		this.recorder.ran(run);
		if (gate) {
			this.recorder.awaitGate();
		}
		return Map.of("ok", true, "run", run);
	}

	record Order(String customer, int amount) {
	}

}
