package dev.dedup.http;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jakarta.servlet.http.HttpServletRequest;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.HandlerExecutionChain;
import org.springframework.web.servlet.mvc.method.RequestMappingInfo;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;
import org.springframework.web.util.ServletRequestPathUtils;

/**
 * Finds, from a servlet filter, the handler method Spring MVC will dispatch a request to. The mappings are
 * looked up lazily: filters are created before the rest of the context, and asking for the mapping then
 * would initialise Spring MVC too early.
 */
public final class HandlerLookup {

	private final ObjectProvider<RequestMappingHandlerMapping> mappings;

	private volatile @Nullable List<RequestMappingHandlerMapping> resolved;

	public HandlerLookup(ObjectProvider<RequestMappingHandlerMapping> mappings) {
		this.mappings = mappings;
	}

	/**
	 * The handler method for the request, or null if none matches (or matching fails: the dispatcher will
	 * answer 404, 405, 415 itself). Leaves the match attributes (route template, path variables) on the
	 * request, as the dispatcher would.
	 */
	public @Nullable HandlerMethod handlerFor(HttpServletRequest request) {
		Object previousPath = request.getAttribute(ServletRequestPathUtils.PATH_ATTRIBUTE);
		// Path-pattern matching needs the parsed path, which DispatcherServlet has not cached yet.
		ServletRequestPathUtils.parseAndCache(request);
		try {
			for (RequestMappingHandlerMapping mapping : mappings()) {
				HandlerExecutionChain chain = mapping.getHandler(request);
				if (chain != null) {
					return (chain.getHandler() instanceof HandlerMethod method) ? method : null;
				}
			}
			return null;
		}
		catch (Exception ex) {
			return null;
		}
		finally {
			if (previousPath != null) {
				request.setAttribute(ServletRequestPathUtils.PATH_ATTRIBUTE, previousPath);
			}
			else {
				request.removeAttribute(ServletRequestPathUtils.PATH_ATTRIBUTE);
			}
		}
	}

	/** Every mapped handler method. */
	public Map<RequestMappingInfo, HandlerMethod> handlerMethods() {
		Map<RequestMappingInfo, HandlerMethod> all = new LinkedHashMap<>();
		for (RequestMappingHandlerMapping mapping : mappings()) {
			all.putAll(mapping.getHandlerMethods());
		}
		return all;
	}

	private List<RequestMappingHandlerMapping> mappings() {
		List<RequestMappingHandlerMapping> current = this.resolved;
		if (current == null) {
			current = this.mappings.orderedStream().toList();
			this.resolved = current;
		}
		return current;
	}

}
