/**
 * What an operator sees of dedup through Spring Boot Actuator: the {@code dedup} health indicator, the
 * {@code dedup} endpoint (read or evict one key) and the store's meters.
 */
@NullMarked
package dev.dedup.core.actuate;

import org.jspecify.annotations.NullMarked;
