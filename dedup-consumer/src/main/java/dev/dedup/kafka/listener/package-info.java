@NullMarked
package dev.dedup.kafka.listener;

import org.jspecify.annotations.NullMarked;
