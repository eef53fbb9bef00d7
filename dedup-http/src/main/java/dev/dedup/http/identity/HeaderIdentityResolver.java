package dev.dedup.http.identity;

import jakarta.servlet.http.HttpServletRequest;
import org.jspecify.annotations.Nullable;

/**
 * Takes the identity from a request header, as given by the client: for demos and for services behind a
 * gateway that sets the header itself. Anyone can send any header, so never expose an endpoint that
 * trusts this resolver to clients directly. Off unless {@code dedup.http.identity.header} is set.
 * A value that is empty, longer than 255 characters or not printable ASCII counts as no identity.
 */
public final class HeaderIdentityResolver implements DedupIdentityResolver {

	static final int MAX_LENGTH = 255;

	private final String header;

	public HeaderIdentityResolver(String header) {
		this.header = header;
	}

	public String header() {
		return this.header;
	}

	@Override
	public @Nullable String resolve(HttpServletRequest request) {
		String value = request.getHeader(this.header);
		if (value == null) {
			return null;
		}
		value = value.trim();
		if (value.isEmpty() || value.length() > MAX_LENGTH) {
			return null;
		}
		for (int i = 0; i < value.length(); i++) {
			char c = value.charAt(i);
			if (c < 0x20 || c > 0x7E) {
				return null;
			}
		}
		return value;
	}

}
