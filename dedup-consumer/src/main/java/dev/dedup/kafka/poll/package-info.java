/**
 * The poll-level dedup path every Kafka adapter shares, with no Spring at run time: {@link
 * dev.dedup.kafka.poll.RecordKeys} turns a record into its store key, {@link dev.dedup.kafka.poll.PollDedup}
 * claims a poll's records and writes their marks and releases, and {@link dev.dedup.kafka.poll.DedupPollLoop}
 * is the API for a hand-written {@code consumer.poll()} loop. The spring-kafka adapters live in
 * {@code dev.dedup.kafka.listener}.
 */
@NullMarked
package dev.dedup.kafka.poll;

import org.jspecify.annotations.NullMarked;
