/**
 * Benchmarks, run by hand and never by the build: the end-to-end Kafka throughput harness
 * ({@link dev.dedup.benchmarks.KafkaThroughputBenchmark}), the HTTP idempotency-key throughput harness
 * ({@link dev.dedup.benchmarks.IdempotencyThroughputBenchmark}) and JMH micro-benchmarks of the engine
 * ({@link dev.dedup.benchmarks.EngineBenchmark}). See docs/BENCHMARKS.md.
 */
@NullMarked
package dev.dedup.benchmarks;

import org.jspecify.annotations.NullMarked;
