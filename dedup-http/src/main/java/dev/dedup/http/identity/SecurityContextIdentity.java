package dev.dedup.http.identity;

import org.jspecify.annotations.Nullable;

import org.springframework.security.authentication.AuthenticationTrustResolver;
import org.springframework.security.authentication.AuthenticationTrustResolverImpl;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;

/** Reads Spring Security's context; only loaded when Spring Security is on the class path. */
final class SecurityContextIdentity {

	private static final AuthenticationTrustResolver TRUST = new AuthenticationTrustResolverImpl();

	private SecurityContextIdentity() {
	}

	static @Nullable String currentName() {
		Authentication authentication = SecurityContextHolder.getContext().getAuthentication();
		if (authentication == null || !authentication.isAuthenticated() || TRUST.isAnonymous(authentication)) {
			return null;
		}
		return PrincipalIdentityResolver.nonEmpty(authentication.getName());
	}

}
