/**
 * dedup core: the store SPI ({@link dev.dedup.core.store}), the engine that owns the claim state
 * machine ({@link dev.dedup.core.engine}) and key rules ({@link dev.dedup.core.key}). No Spring.
 */
@NullMarked
package dev.dedup.core;

import org.jspecify.annotations.NullMarked;
