@NullMarked
package dev.dedup.core.key;

import org.jspecify.annotations.NullMarked;
