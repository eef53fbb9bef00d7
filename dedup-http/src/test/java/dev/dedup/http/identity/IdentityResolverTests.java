package dev.dedup.http.identity;

import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.authentication.TestingAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;

import static org.assertj.core.api.Assertions.assertThat;

class IdentityResolverTests {

	private final MockHttpServletRequest request = new MockHttpServletRequest("POST", "/orders");

	@AfterEach
	void clearSecurityContext() {
		SecurityContextHolder.clearContext();
	}

	@Test
	void principalResolverPrefersSpringSecuritysAuthenticatedUser() {
		this.request.setUserPrincipal(() -> "container-user");
		TestingAuthenticationToken authentication = new TestingAuthenticationToken("alice", "pw", "ROLE_USER");
		authentication.setAuthenticated(true);
		SecurityContextHolder.getContext().setAuthentication(authentication);
		assertThat(new PrincipalIdentityResolver().resolve(this.request)).isEqualTo("alice");
	}

	@Test
	void principalResolverIgnoresAnonymousAuthenticationAndFallsBackToTheRequestPrincipal() {
		SecurityContextHolder.getContext()
			.setAuthentication(new AnonymousAuthenticationToken("key", "anonymousUser",
					List.of(new SimpleGrantedAuthority("ROLE_ANONYMOUS"))));
		assertThat(new PrincipalIdentityResolver().resolve(this.request)).isNull();
		this.request.setUserPrincipal(() -> "container-user");
		assertThat(new PrincipalIdentityResolver().resolve(this.request)).isEqualTo("container-user");
	}

	@Test
	void headerResolverTakesAPrintableHeaderAndNothingElse() {
		HeaderIdentityResolver resolver = new HeaderIdentityResolver("X-User");
		assertThat(resolver.resolve(this.request)).isNull();
		this.request.addHeader("X-User", " bob ");
		assertThat(resolver.resolve(this.request)).isEqualTo("bob");
		for (String bad : new String[] { "", "a\tb", "é", "x".repeat(256) }) {
			MockHttpServletRequest other = new MockHttpServletRequest();
			other.addHeader("X-User", bad);
			assertThat(resolver.resolve(other)).as(bad).isNull();
		}
	}

}
