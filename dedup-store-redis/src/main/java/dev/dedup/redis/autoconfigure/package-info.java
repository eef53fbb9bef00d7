/**
 * Spring Boot auto-configuration of the Redis dedup store.
 */
@NullMarked
package dev.dedup.redis.autoconfigure;

import org.jspecify.annotations.NullMarked;
