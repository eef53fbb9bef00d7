/**
 * Spring Boot auto-configuration of HTTP submit protection ({@code dedup.http.*}).
 */
@NullMarked
package dev.dedup.http.autoconfigure;

import org.jspecify.annotations.NullMarked;
