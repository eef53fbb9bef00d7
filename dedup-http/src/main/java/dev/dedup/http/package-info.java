/**
 * HTTP submit protection for Spring MVC: {@link dev.dedup.http.PreventDuplicateSubmit} on a handler,
 * enforced by {@link dev.dedup.http.DuplicateSubmitFilter} on the shared dedup store.
 */
@NullMarked
package dev.dedup.http;

import org.jspecify.annotations.NullMarked;
