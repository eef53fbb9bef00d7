package dev.dedup.http;

import java.io.IOException;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletResponse;

/**
 * One strategy: decides whether a protected request reaches its handler (by calling the chain with
 * {@link SubmitRequest#request()}) or is answered here.
 */
public interface SubmitGuard {

	void guard(SubmitRequest request, HttpServletResponse response, FilterChain chain)
			throws IOException, ServletException;

}
