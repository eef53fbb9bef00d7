@NullMarked
package dev.dedup.core.engine;

import org.jspecify.annotations.NullMarked;
