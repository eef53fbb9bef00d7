package dev.dedup.http.identity;

import jakarta.servlet.http.HttpServletRequest;
import org.jspecify.annotations.Nullable;

/**
 * Who sends a request: the scope that keeps one client's locks, tokens and idempotency keys apart from
 * another's. Define a bean of this type to replace the default ({@link PrincipalIdentityResolver}).
 */
@FunctionalInterface
public interface DedupIdentityResolver {

	/**
	 * @return a stable name for the client (a user id, a tenant and user, an API client id), or null if the
	 * request has none; a protected endpoint then answers 401
	 */
	@Nullable String resolve(HttpServletRequest request);

}
