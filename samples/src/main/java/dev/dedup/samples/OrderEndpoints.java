package dev.dedup.samples;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Profile;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import dev.dedup.http.PreventDuplicateSubmit;
import dev.dedup.http.PreventDuplicateSubmit.Strategy;

/**
 * One order endpoint per strategy (profile {@code web}). The handlers have no dedup code: the annotation is
 * all. Each "charge" takes {@code sample.charge-time}, long enough for a double click to overlap.
 */
@RestController
@Profile("web")
class OrderEndpoints {

	private final Duration chargeTime;

	private final AtomicInteger charged = new AtomicInteger();

	OrderEndpoints(@Value("${sample.charge-time:0s}") Duration chargeTime) {
		this.chargeTime = chargeTime;
	}

	/** Double clicks: the second click while the first runs gets 409. */
	@PostMapping("/orders/lock")
	@PreventDuplicateSubmit
	Map<String, Object> lock(@RequestBody OrderRequest order) throws InterruptedException {
		return Map.of("order", charge(order), "strategy", "LOCK");
	}

	/** Form resubmits: each submit needs a token from POST /dedup/tokens?operation=/orders/token. */
	@PostMapping("/orders/token")
	@PreventDuplicateSubmit(strategy = Strategy.TOKEN)
	Map<String, Object> token(@RequestBody OrderRequest order) throws InterruptedException {
		return Map.of("order", charge(order), "strategy", "TOKEN");
	}

	/** Retries after a timeout: the same Idempotency-Key gets the first response again. */
	@PostMapping("/orders")
	@PreventDuplicateSubmit(strategy = Strategy.IDEMPOTENCY_KEY)
	ResponseEntity<Map<String, Object>> create(@RequestBody OrderRequest order) throws InterruptedException {
		String id = charge(order);
		return ResponseEntity.created(URI.create("/orders/" + id)).body(Map.of("order", id, "item", order.item(),
				"strategy", "IDEMPOTENCY_KEY"));
	}

	int charged() {
		return this.charged.get();
	}

	private String charge(OrderRequest order) throws InterruptedException {
		Thread.sleep(this.chargeTime.toMillis());
		this.charged.incrementAndGet();
		return "order-" + UUID.randomUUID().toString().substring(0, 8);
	}

	record OrderRequest(String item, int quantity) {
	}

}
