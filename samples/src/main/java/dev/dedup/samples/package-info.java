/**
 * A runnable demo: a deduplicated {@code @KafkaListener}, a burst of messages with repeated ids, a report.
 */
@NullMarked
package dev.dedup.samples;

import org.jspecify.annotations.NullMarked;
