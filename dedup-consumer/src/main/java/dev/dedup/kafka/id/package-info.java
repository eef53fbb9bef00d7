@NullMarked
package dev.dedup.kafka.id;

import org.jspecify.annotations.NullMarked;
