@NullMarked
package dev.dedup.core.store;

import org.jspecify.annotations.NullMarked;
