package dev.dedup.http;

import java.math.BigDecimal;
import java.security.MessageDigest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.dedup.core.Digests;

/**
 * Hashes of requests: the idempotency fingerprint (exact bytes) and the default LOCK hash (canonical JSON,
 * so the same order submitted with keys in another order or other whitespace is the same submit).
 */
public final class RequestDigests {

	private static final JsonMapper JSON = JsonMapper.builder()
		.enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
		.build();

	private RequestDigests() {
	}

	/**
	 * SHA-256 over method, path, query string and body, each length-prefixed so no two requests share an
	 * input. Form bodies are taken as their sorted parameters.
	 */
	public static byte[] fingerprint(CachedBodyRequest request) {
		// Fed to the digest field by field: no copy of the body into an intermediate buffer.
		MessageDigest digest = Digests.sha256();
		updateField(digest, request.getMethod().getBytes(StandardCharsets.UTF_8));
		updateField(digest, request.getRequestURI().getBytes(StandardCharsets.UTF_8));
		String query = request.getQueryString();
		updateField(digest, (query != null ? query : "").getBytes(StandardCharsets.UTF_8));
		updateField(digest, request.isForm() ? canonicalParameters(request.getParameterMap())
			.getBytes(StandardCharsets.UTF_8) : request.body());
		return digest.digest();
	}

	/**
	 * Hex SHA-256 of the canonical JSON of {@code {"body":…,"method":…,"path":{…},"query":{…}}}: the body
	 * as canonical JSON (object keys sorted, numbers normalised, no whitespace), or, if it is not JSON, the
	 * SHA-256 of its bytes; path variables and request parameters sorted by name.
	 */
	public static String lockHash(CachedBodyRequest request, Map<String, String> pathVariables) {
		StringBuilder out = new StringBuilder(128 + request.body().length);
		out.append('{');
		byte[] body = request.body();
		if (body.length > 0) {
			JsonNode node = parse(body);
			if (node != null) {
				out.append("\"body\":");
				canonical(node, out);
			}
			else {
				out.append("\"bodySha256\":");
				quote(Digests.sha256Hex(body), out);
			}
			out.append(',');
		}
		out.append("\"method\":");
		quote(request.getMethod(), out);
		out.append(",\"path\":{");
		String separator = "";
		for (Map.Entry<String, String> variable : new TreeMap<>(pathVariables).entrySet()) {
			out.append(separator);
			quote(variable.getKey(), out);
			out.append(':');
			quote(variable.getValue(), out);
			separator = ",";
		}
		out.append("},\"query\":").append(canonicalParameters(request.getParameterMap())).append('}');
		return Digests.sha256Hex(out.toString().getBytes(StandardCharsets.UTF_8));
	}

	/** The canonical JSON text of {@code json}, or null if it is not one JSON value. */
	public static @Nullable String canonicalJson(byte[] json) {
		JsonNode node = parse(json);
		if (node == null) {
			return null;
		}
		StringBuilder out = new StringBuilder(json.length);
		canonical(node, out);
		return out.toString();
	}

	private static @Nullable JsonNode parse(byte[] json) {
		try {
			JsonNode node = JSON.readTree(json);
			return (node == null || node.isMissingNode()) ? null : node;
		}
		catch (JacksonException ex) {
			return null;
		}
	}

	private static void canonical(JsonNode node, StringBuilder out) {
		if (node.isObject()) {
			TreeMap<String, JsonNode> sorted = new TreeMap<>();
			for (Map.Entry<String, JsonNode> property : node.properties()) {
				sorted.put(property.getKey(), property.getValue());
			}
			out.append('{');
			String separator = "";
			for (Map.Entry<String, JsonNode> property : sorted.entrySet()) {
				out.append(separator);
				quote(property.getKey(), out);
				out.append(':');
				canonical(property.getValue(), out);
				separator = ",";
			}
			out.append('}');
		}
		else if (node.isArray()) {
			out.append('[');
			String separator = "";
			for (JsonNode element : node.values()) {
				out.append(separator);
				canonical(element, out);
				separator = ",";
			}
			out.append(']');
		}
		else if (node.isString()) {
			quote(node.stringValue(), out);
		}
		else if (node.isNumber()) {
			BigDecimal value = node.decimalValue();
			out.append(value.signum() == 0 ? "0" : value.stripTrailingZeros().toString());
		}
		else if (node.isBoolean()) {
			out.append(node.booleanValue());
		}
		else {
			out.append("null");
		}
	}

	private static String canonicalParameters(Map<String, String[]> parameters) {
		StringBuilder out = new StringBuilder();
		out.append('{');
		String separator = "";
		for (Map.Entry<String, String[]> parameter : new TreeMap<>(parameters).entrySet()) {
			out.append(separator);
			quote(parameter.getKey(), out);
			out.append(":[");
			List<String> values = new ArrayList<>(List.of(parameter.getValue()));
			for (int i = 0; i < values.size(); i++) {
				if (i > 0) {
					out.append(',');
				}
				quote(values.get(i), out);
			}
			out.append(']');
			separator = ",";
		}
		return out.append('}').toString();
	}

	private static void quote(String value, StringBuilder out) {
		out.append('"');
		for (int i = 0; i < value.length(); i++) {
			char c = value.charAt(i);
			switch (c) {
				case '"' -> out.append("\\\"");
				case '\\' -> out.append("\\\\");
				default -> {
					if (c < 0x20) {
						out.append(String.format("\\u%04x", (int) c));
					}
					else {
						out.append(c);
					}
				}
			}
		}
		out.append('"');
	}

	/** The length as 4 bytes, big-endian, then the value: the layout fingerprints always had. */
	private static void updateField(MessageDigest digest, byte[] value) {
		int length = value.length;
		digest.update(new byte[] { (byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8),
				(byte) length });
		digest.update(value);
	}

}
