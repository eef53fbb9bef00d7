/**
 * The TOKEN strategy: one-time submit tokens, issued by an endpoint and consumed atomically.
 */
@NullMarked
package dev.dedup.http.token;

import org.jspecify.annotations.NullMarked;
