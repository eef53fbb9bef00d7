package dev.dedup.http.identity;

import java.security.Principal;

import jakarta.servlet.http.HttpServletRequest;
import org.jspecify.annotations.Nullable;

import org.springframework.util.ClassUtils;

/**
 * The default identity: the authenticated principal's name, from Spring Security's context when Spring
 * Security is on the class path (anonymous authentication does not count), else from
 * {@link HttpServletRequest#getUserPrincipal()}.
 */
public final class PrincipalIdentityResolver implements DedupIdentityResolver {

	private static final boolean SECURITY_PRESENT = ClassUtils.isPresent(
			"org.springframework.security.core.context.SecurityContextHolder",
			PrincipalIdentityResolver.class.getClassLoader());

	@Override
	public @Nullable String resolve(HttpServletRequest request) {
		if (SECURITY_PRESENT) {
			String name = SecurityContextIdentity.currentName();
			if (name != null) {
				return name;
			}
		}
		Principal principal = request.getUserPrincipal();
		return (principal != null) ? nonEmpty(principal.getName()) : null;
	}

	static @Nullable String nonEmpty(@Nullable String name) {
		return (name == null || name.isEmpty()) ? null : name;
	}

}
