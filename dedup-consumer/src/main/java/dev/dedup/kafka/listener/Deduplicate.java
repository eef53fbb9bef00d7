package dev.dedup.kafka.listener;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Per-listener dedup settings on a {@code @KafkaListener} method; anything left empty keeps the
 * {@code dedup.kafka.*} default. Dedup applies to every listener of the protected container factory with
 * or without this annotation; it only overrides.
 *
 * <p>The settings are matched to records by topic and consumer group. If two {@code @Deduplicate}
 * listeners share a topic, give their {@code @KafkaListener}s an explicit {@code groupId} (or {@code id}).
 *
 * <pre>{@code
 * @KafkaListener(topics = "payments", groupId = "billing")
 * @Deduplicate(id = "header('payment-id')", lease = "2m", retention = "30d")
 * void charge(Payment payment) { ... }
 * }</pre>
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface Deduplicate {

	/**
	 * SpEL over the record giving the message id, e.g. {@code header('order-id')}, {@code key},
	 * {@code value.orderId}; see {@link dev.dedup.kafka.id.ExpressionMessageIdResolver}.
	 */
	String id() default "";

	/** Name of a {@link dev.dedup.kafka.id.MessageIdResolver} bean giving the message id. */
	String idResolver() default "";

	/** Lease, e.g. {@code 45s}, {@code 2m}, {@code PT45S}. */
	String lease() default "";

	/** Retention of processed ids, e.g. {@code 30d}. */
	String retention() default "";

	/** What to do while another consumer holds the id. */
	OnInProgress onInProgress() default OnInProgress.DEFAULT;

	/** {@link InProgressPolicy}, plus "use the default". */
	enum OnInProgress {

		DEFAULT, RETRY, SKIP

	}

}
