package dev.dedup.http;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class HttpKeysTests {

	private final HttpKeys keys = new HttpKeys("dedup", 200);

	@Test
	void joinsEscapedSegmentsUnderPrefixAndKind() {
		assertThat(this.keys.key("lock", "alice", "/orders/{id}", "abc"))
			.isEqualTo("dedup:lock:alice:/orders/{id}:abc");
		assertThat(this.keys.key("lock", "a:b", "c")).isEqualTo("dedup:lock:a%3Ab:c");
		assertThat(this.keys.key("lock", "a", "b:c")).as("segments cannot run into each other")
			.isNotEqualTo(this.keys.key("lock", "a:b", "c"));
		assertThat(this.keys.key("lock", "100%", "x")).isEqualTo("dedup:lock:100%25:x");
	}

	@Test
	void escapesControlCharactersAndLoneSurrogates() {
		assertThat(this.keys.key("idem", "u", "a\tb\n\u0000")).isEqualTo("dedup:idem:u:a%09b%0A%00");
		assertThat(this.keys.key("idem", "u", "x\uD800y")).isEqualTo("dedup:idem:u:x%uD800y");
		assertThat(this.keys.key("idem", "u", "\uD83D\uDE00")).isEqualTo("dedup:idem:u:\uD83D\uDE00");
	}

	@Test
	void hashesWhatDoesNotFitButKeepsPrefixAndKind() {
		String key = this.keys.key("idem", "alice", "x".repeat(10_000));
		assertThat(key).startsWith("dedup:idem:sha256:").hasSize("dedup:idem:sha256:".length() + 64);
		assertThat(this.keys.key("idem", "alice", "x".repeat(10_000) + "y")).isNotEqualTo(key);
		assertThat(this.keys.key("idem", "bob", "x".repeat(10_000))).isNotEqualTo(key);
		String longest = this.keys.key("k", "x".repeat(200 - "dedup:k:".length()));
		assertThat(longest.getBytes(StandardCharsets.UTF_8)).hasSize(200);
		assertThat(longest).doesNotContain("sha256");
	}

}
