/**
 * The store contract suite every {@link dev.dedup.core.store.DedupStore} extends, and small test utilities.
 */
@NullMarked
package dev.dedup.test;

import org.jspecify.annotations.NullMarked;
