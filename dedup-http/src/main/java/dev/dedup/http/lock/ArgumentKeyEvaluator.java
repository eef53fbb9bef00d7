package dev.dedup.http.lock;

import java.util.List;

import jakarta.servlet.http.HttpServletResponse;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.expression.MethodBasedEvaluationContext;
import org.springframework.core.DefaultParameterNameDiscoverer;
import org.springframework.core.ParameterNameDiscoverer;
import org.springframework.expression.Expression;
import org.springframework.web.context.request.ServletWebRequest;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.method.support.HandlerMethodArgumentResolverComposite;
import org.springframework.web.method.support.InvocableHandlerMethod;
import org.springframework.web.method.support.ModelAndViewContainer;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerAdapter;
import org.springframework.web.servlet.mvc.method.annotation.ServletRequestDataBinderFactory;

import dev.dedup.http.SubmitRequest;

/**
 * Evaluates a LOCK {@code key} expression over the handler method's arguments. The filter runs before
 * Spring MVC resolves them, so they are resolved here with Spring MVC's own argument resolvers, on the
 * cached request body (the handler reads it again). {@code @InitBinder} methods are not applied here.
 */
public final class ArgumentKeyEvaluator {

	private static final Logger log = LoggerFactory.getLogger(ArgumentKeyEvaluator.class);

	private final ObjectProvider<RequestMappingHandlerAdapter> adapter;

	private final ParameterNameDiscoverer parameterNames = new DefaultParameterNameDiscoverer();

	private volatile @Nullable Resolvers resolvers;

	public ArgumentKeyEvaluator(ObjectProvider<RequestMappingHandlerAdapter> adapter) {
		this.adapter = adapter;
	}

	/**
	 * @return the key's text, or null if the arguments cannot be resolved (a binding or validation error):
	 * the dispatcher then answers that request itself, and it never reaches the handler
	 */
	public @Nullable String evaluate(Expression key, SubmitRequest submit, HttpServletResponse response) {
		Object[] args;
		try {
			args = resolve(submit, response);
		}
		catch (Exception ex) {
			log.debug("Arguments of {} cannot be resolved, leaving the request to Spring MVC: {}", submit.handler(),
					ex.toString());
			return null;
		}
		MethodBasedEvaluationContext context = new MethodBasedEvaluationContext(args, submit.handler().getMethod(),
				args, this.parameterNames);
		Object value = key.getValue(context);
		return String.valueOf(value);
	}

	private Object[] resolve(SubmitRequest submit, HttpServletResponse response) throws Exception {
		Resolvers current = resolvers();
		ArgumentResolvingMethod method = new ArgumentResolvingMethod(submit.handler());
		method.setHandlerMethodArgumentResolvers(current.arguments());
		method.setDataBinderFactory(current.binders());
		method.setParameterNameDiscoverer(this.parameterNames);
		return method.arguments(new ServletWebRequest(submit.request(), response), new ModelAndViewContainer());
	}

	private Resolvers resolvers() {
		Resolvers current = this.resolvers;
		if (current == null) {
			RequestMappingHandlerAdapter handlerAdapter = this.adapter.getObject();
			List<org.springframework.web.method.support.HandlerMethodArgumentResolver> list = handlerAdapter
				.getArgumentResolvers();
			HandlerMethodArgumentResolverComposite composite = new HandlerMethodArgumentResolverComposite();
			if (list != null) {
				composite.addResolvers(list);
			}
			current = new Resolvers(composite,
					new ServletRequestDataBinderFactory(null, handlerAdapter.getWebBindingInitializer()));
			this.resolvers = current;
		}
		return current;
	}

	private record Resolvers(HandlerMethodArgumentResolverComposite arguments, ServletRequestDataBinderFactory binders) {
	}

	/** Exposes argument resolution, which Spring keeps protected. */
	private static final class ArgumentResolvingMethod extends InvocableHandlerMethod {

		ArgumentResolvingMethod(HandlerMethod handler) {
			super(handler);
		}

		Object[] arguments(ServletWebRequest request, ModelAndViewContainer model) throws Exception {
			return getMethodArgumentValues(request, model);
		}

	}

}
