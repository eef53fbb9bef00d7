@NullMarked
package dev.dedup.kafka;

import org.jspecify.annotations.NullMarked;
