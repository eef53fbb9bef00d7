/**
 * Spring Boot auto-configuration of the JDBC dedup store ({@code dedup.store=jdbc}).
 */
@NullMarked
package dev.dedup.jdbc.autoconfigure;

import org.jspecify.annotations.NullMarked;
