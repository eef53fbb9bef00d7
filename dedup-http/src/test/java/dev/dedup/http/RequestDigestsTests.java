package dev.dedup.http;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;

import org.junit.jupiter.api.Test;

import org.springframework.mock.web.MockHttpServletRequest;

import static org.assertj.core.api.Assertions.assertThat;

class RequestDigestsTests {

	@Test
	void canonicalJsonSortsKeysNormalisesNumbersAndDropsWhitespace() {
		assertThat(canonical("{ \"b\": [1, 2.50, 1e2], \"a\": {\"y\": null, \"x\": true}, \"s\": \"q\\\"\\u0001\" }"))
			.isEqualTo("{\"a\":{\"x\":true,\"y\":null},\"b\":[1,2.5,1E+2],\"s\":\"q\\\"\\u0001\"}");
		assertThat(canonical("{\"n\":100}")).isEqualTo(canonical("{\"n\":1.0E2}"));
		assertThat(canonical("0.0")).isEqualTo("0");
	}

	@Test
	void textThatIsNotOneJsonValueHasNoCanonicalForm() {
		assertThat(canonical("not json")).isNull();
		assertThat(canonical("{\"a\":1} trailing")).isNull();
		assertThat(canonical("{\"a\":")).isNull();
		assertThat(canonical("")).isNull();
	}

	@Test
	void fingerprintKeepsItsLayoutSoStoredResponsesStillMatch() throws Exception {
		// SHA-256 over each field as a 4-byte big-endian length and its bytes, as stored entries were made.
		ByteArrayOutputStream bytes = new ByteArrayOutputStream();
		try (DataOutputStream out = new DataOutputStream(bytes)) {
			for (String field : new String[] { "POST", "/orders", "a=1", "{\"a\":1}" }) {
				byte[] value = field.getBytes(StandardCharsets.UTF_8);
				out.writeInt(value.length);
				out.write(value);
			}
		}
		byte[] expected = MessageDigest.getInstance("SHA-256").digest(bytes.toByteArray());
		assertThat(fingerprint("POST", "/orders", "a=1", "{\"a\":1}")).isEqualTo(expected);
	}

	@Test
	void lockHashIsTheSameForEquivalentJsonAndDiffersForAnythingElse() throws IOException {
		String hash = lockHash("POST", "{\"a\":1,\"b\":2}", "q=1", Map.of("id", "7"));
		assertThat(lockHash("POST", "{ \"b\":2, \"a\":1.0 }", "q=1", Map.of("id", "7"))).isEqualTo(hash);
		assertThat(lockHash("POST", "{\"a\":1,\"b\":3}", "q=1", Map.of("id", "7"))).isNotEqualTo(hash);
		assertThat(lockHash("POST", "{\"a\":1,\"b\":2}", "q=2", Map.of("id", "7"))).isNotEqualTo(hash);
		assertThat(lockHash("POST", "{\"a\":1,\"b\":2}", "q=1", Map.of("id", "8"))).isNotEqualTo(hash);
		assertThat(lockHash("PUT", "{\"a\":1,\"b\":2}", "q=1", Map.of("id", "7"))).isNotEqualTo(hash);
		assertThat(lockHash("POST", "not json", null, Map.of())).isNotEqualTo(lockHash("POST", "not json!", null, Map.of()))
			.isEqualTo(lockHash("POST", "not json", null, Map.of()));
	}

	@Test
	void fingerprintIsExactAndUnambiguous() throws IOException {
		byte[] fingerprint = fingerprint("POST", "/orders", "a=1", "{\"a\":1}");
		assertThat(fingerprint).hasSize(32).isEqualTo(fingerprint("POST", "/orders", "a=1", "{\"a\":1}"));
		assertThat(fingerprint("POST", "/orders", "a=1", "{ \"a\":1}")).isNotEqualTo(fingerprint);
		assertThat(fingerprint("POST", "/orders", "a=2", "{\"a\":1}")).isNotEqualTo(fingerprint);
		assertThat(fingerprint("POST", "/orders2", "a=1", "{\"a\":1}")).isNotEqualTo(fingerprint);
		assertThat(fingerprint("PUT", "/orders", "a=1", "{\"a\":1}")).isNotEqualTo(fingerprint);
		assertThat(fingerprint("POST", "/orders", "ab", "c")).isNotEqualTo(fingerprint("POST", "/orders", "a", "bc"));
	}

	@Test
	void aCachedBodyCanBeReadAgainAndAgain() throws IOException {
		CachedBodyRequest request = request("POST", "/x", null, "hello");
		assertThat(request.getInputStream().readAllBytes()).isEqualTo("hello".getBytes(StandardCharsets.UTF_8));
		assertThat(request.getInputStream().readAllBytes()).isEqualTo("hello".getBytes(StandardCharsets.UTF_8));
		assertThat(request.getReader().readLine()).isEqualTo("hello");
	}

	@Test
	void formBodiesAreLeftToTheContainerAndFingerprintedByTheirParameters() throws IOException {
		MockHttpServletRequest form = new MockHttpServletRequest("POST", "/form");
		form.setContentType("application/x-www-form-urlencoded");
		form.addParameter("b", "2");
		form.addParameter("a", "1");
		CachedBodyRequest request = CachedBodyRequest.of(form, 1024);
		assertThat(request.isForm()).isTrue();
		assertThat(request.body()).isEmpty();
		MockHttpServletRequest other = new MockHttpServletRequest("POST", "/form");
		other.setContentType("application/x-www-form-urlencoded");
		other.addParameter("a", "1");
		other.addParameter("b", "3");
		assertThat(RequestDigests.fingerprint(request)).isNotEqualTo(RequestDigests.fingerprint(CachedBodyRequest.of(other, 1024)));
	}

	private static String canonical(String json) {
		return RequestDigests.canonicalJson(json.getBytes(StandardCharsets.UTF_8));
	}

	private static String lockHash(String method, String body, String query, Map<String, String> path)
			throws IOException {
		return RequestDigests.lockHash(request(method, "/x", query, body), path);
	}

	private static byte[] fingerprint(String method, String uri, String query, String body) throws IOException {
		return RequestDigests.fingerprint(request(method, uri, query, body));
	}

	private static CachedBodyRequest request(String method, String uri, String query, String body) throws IOException {
		MockHttpServletRequest request = new MockHttpServletRequest(method, uri);
		request.setContentType("application/json");
		request.setContent(body.getBytes(StandardCharsets.UTF_8));
		if (query != null) {
			request.setQueryString(query);
			for (String pair : query.split("&")) {
				String[] parts = pair.split("=", 2);
				request.addParameter(parts[0], parts.length > 1 ? parts[1] : "");
			}
		}
		return CachedBodyRequest.of(request, 1024 * 1024);
	}

}
