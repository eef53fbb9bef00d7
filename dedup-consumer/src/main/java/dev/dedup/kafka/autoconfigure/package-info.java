@NullMarked
package dev.dedup.kafka.autoconfigure;

import org.jspecify.annotations.NullMarked;
