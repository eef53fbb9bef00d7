package dev.dedup.http;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Protects a Spring MVC handler method (or, on a controller class, each of its handler methods that has no
 * annotation of its own) against duplicate submits. Requests are checked by {@link DuplicateSubmitFilter}
 * before the handler runs, against the application's dedup store. Empty attributes take their default from
 * {@code dedup.http.*}.
 *
 * <pre>
 * &#64;PostMapping("/orders")
 * &#64;PreventDuplicateSubmit(strategy = Strategy.IDEMPOTENCY_KEY)
 * ResponseEntity&lt;Order&gt; create(&#64;RequestBody OrderRequest request) { … }
 * </pre>
 */
@Target({ ElementType.METHOD, ElementType.TYPE })
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface PreventDuplicateSubmit {

	/** How duplicates are recognised and answered. */
	Strategy strategy() default Strategy.LOCK;

	/**
	 * LOCK only: SpEL over the handler method's arguments ({@code #order.customerId}, {@code #p0}) naming what
	 * must not be submitted twice at once. Default: a SHA-256 of the canonical JSON of the request body and
	 * the path and query parameters.
	 */
	String key() default "";

	/** The operation name in store keys and token requests. Default: the route template, e.g. {@code /orders/{id}}. */
	String operation() default "";

	/**
	 * LOCK and IDEMPOTENCY_KEY: how long a claim holds if this instance dies while the handler runs; renewed
	 * every third of it while the handler runs ({@code 30s}, {@code PT30S}).
	 */
	String lease() default "";

	/** LOCK only: how long the same submit stays refused after a success (a cooldown); {@code 0} for none. */
	String holdAfterSuccess() default "";

	/** IDEMPOTENCY_KEY only: how long a response is kept for replay ({@code 24h}). */
	String retention() default "";

	/** The strategies. */
	enum Strategy {

		/** One request at a time per identity, operation and arguments; a concurrent duplicate gets 409. */
		LOCK,

		/** Each submit carries a one-time token ({@code Submit-Token}) from the token endpoint. */
		TOKEN,

		/** The client names each logical request ({@code Idempotency-Key}); a retry gets the stored response. */
		IDEMPOTENCY_KEY

	}

}
