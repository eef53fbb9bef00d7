@NullMarked
package dev.dedup.core.autoconfigure;

import org.jspecify.annotations.NullMarked;
