/**
 * A {@link dev.dedup.core.store.DedupStore} on Redis: one Lua script per step, expiry by Redis itself.
 */
@NullMarked
package dev.dedup.redis;

import org.jspecify.annotations.NullMarked;
