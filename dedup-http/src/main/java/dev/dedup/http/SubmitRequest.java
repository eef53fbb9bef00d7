package dev.dedup.http;

import java.util.Map;

import org.springframework.web.method.HandlerMethod;

/**
 * A request to a protected handler, as a strategy sees it.
 *
 * @param request the request, its body cached
 * @param handler the handler method it is dispatched to
 * @param settings the handler's settings
 * @param identity who sends it (the anonymous scope when identity is optional and absent)
 * @param operation the operation name: explicit, or the matched route template
 * @param pathVariables the route's path variables
 */
public record SubmitRequest(CachedBodyRequest request, HandlerMethod handler, EndpointSettings settings,
		String identity, String operation, Map<String, String> pathVariables) {

}
