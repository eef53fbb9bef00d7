package dev.dedup.core.key;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DedupKeysTests {

	/** {@code "dedup:g:"}: the head of every key built with scope {@code g} below. */
	private static final int HEAD = "dedup:g:".length();

	private static final int MAX = 100;

	private final DedupKeys keys = new DedupKeys("dedup", MAX);

	@Test
	void keyIsPrefixScopeAndIdSeparatedByColons() {
		assertThat(this.keys.key("orders-service", "msg-42")).isEqualTo("dedup:orders-service:msg-42");
		assertThat(this.keys.prefix()).isEqualTo("dedup");
	}

	@Test
	void nonAsciiPrintableIdsAreKeptAsTheyAre() {
		assertThat(this.keys.key("g", "bestellung-über-€-😀")).isEqualTo("dedup:g:bestellung-über-€-😀");
	}

	@Test
	void keyOfExactlyTheMaximumLengthKeepsItsId() {
		String id = "a".repeat(MAX - HEAD);

		String key = this.keys.key("g", id);

		assertThat(key).isEqualTo("dedup:g:" + id);
		assertThat(utf8Length(key)).isEqualTo(MAX);
	}

	@Test
	void keyOneByteOverTheMaximumHasItsIdHashed() {
		String id = "a".repeat(MAX - HEAD + 1);

		String key = this.keys.key("g", id);

		assertThat(key).isEqualTo("dedup:g:sha256:" + sha256Hex(id));
		assertThat(utf8Length(key)).isLessThanOrEqualTo(MAX);
	}

	@Test
	void hashedKeyIsTheSha256OfTheIdsUtf8BytesIn64LowercaseHexDigits() {
		String id = "x".repeat(500);

		String key = this.keys.key("g", id);

		assertThat(key).startsWith("dedup:g:sha256:");
		String hex = key.substring("dedup:g:sha256:".length());
		assertThat(hex).hasSize(64).matches("[0-9a-f]{64}").isEqualTo(sha256Hex(id));
	}

	@Test
	void lengthIsMeasuredInUtf8BytesNotCharacters() {
		// 2-byte characters: fits in characters, not in bytes
		String twoByte = "é".repeat(MAX - HEAD - 1);
		assertThat(("dedup:g:" + twoByte).length()).isLessThan(MAX);
		assertThat(this.keys.key("g", twoByte)).isEqualTo("dedup:g:sha256:" + sha256Hex(twoByte));

		// exactly at the limit with 2-byte characters: kept
		String twoByteAtLimit = "é".repeat((MAX - HEAD) / 2);
		assertThat(utf8Length("dedup:g:" + twoByteAtLimit)).isEqualTo(MAX);
		assertThat(this.keys.key("g", twoByteAtLimit)).isEqualTo("dedup:g:" + twoByteAtLimit);

		// a 4-byte character (a surrogate pair) tipping the key one byte over
		String emojiAtLimit = "a".repeat(MAX - HEAD - 4) + "😀";
		String emojiOver = "a".repeat(MAX - HEAD - 3) + "😀";
		assertThat(this.keys.key("g", emojiAtLimit)).isEqualTo("dedup:g:" + emojiAtLimit);
		assertThat(this.keys.key("g", emojiOver)).isEqualTo("dedup:g:sha256:" + sha256Hex(emojiOver));
	}

	@Test
	void multiByteScopeCountsInBytesToo() {
		String scope = "ü".repeat(5); // 10 bytes
		String head = "dedup:" + scope + ":";
		String fits = "a".repeat(MAX - utf8Length(head));
		String over = fits + "a";

		assertThat(this.keys.key(scope, fits)).isEqualTo(head + fits);
		assertThat(this.keys.key(scope, over)).isEqualTo(head + "sha256:" + sha256Hex(over));
	}

	@Test
	void hashingIsDeterministic() {
		String id = "id-".repeat(100);

		assertThat(this.keys.key("g", id)).isEqualTo(this.keys.key("g", id))
			.isEqualTo(new DedupKeys("dedup", MAX).key("g", id));
	}

	@Test
	void differentLongIdsGiveDifferentKeys() {
		String base = "z".repeat(300);

		String a = this.keys.key("g", base + "1");
		String b = this.keys.key("g", base + "2");
		String multiByte = this.keys.key("g", base + "é");

		assertThat(a).isNotEqualTo(b).isNotEqualTo(multiByte);
		assertThat(b).isNotEqualTo(multiByte);
	}

	@Test
	void sameLongIdInDifferentScopesGivesDifferentKeys() {
		String id = "z".repeat(300);

		assertThat(this.keys.key("g1", id)).isNotEqualTo(this.keys.key("g2", id));
	}

	@Test
	void tenKilobyteIdWorks() {
		DedupKeys storeSized = new DedupKeys("dedup", 512);
		String id = "0123456789".repeat(1024);

		String key = storeSized.key("consumer-group", id);

		assertThat(key).isEqualTo("dedup:consumer-group:sha256:" + sha256Hex(id));
		assertThat(utf8Length(key)).isLessThanOrEqualTo(512);
	}

	@Test
	void scopeLeavingExactlyRoomForAHashedIdWorks() {
		// prefix(5) + ':' + scope + ':' + "sha256:"(7) + 64 hex = MAX
		String scope = "s".repeat(MAX - 5 - 2 - 7 - 64);

		String key = this.keys.key(scope, "i".repeat(MAX));

		assertThat(utf8Length(key)).isEqualTo(MAX);
	}

	@Test
	void scopeTooLongEvenForAHashedIdIsRejected() {
		String scope = "s".repeat(MAX - 5 - 2 - 7 - 64 + 1);

		assertThatThrownBy(() -> this.keys.key(scope, "i".repeat(MAX))).isInstanceOf(InvalidMessageIdException.class)
			.hasMessageContaining("scope")
			.hasMessageContaining(String.valueOf(MAX));
	}

	@Test
	void emptyIdIsRejected() {
		assertThatThrownBy(() -> this.keys.key("g", "")).isInstanceOf(InvalidMessageIdException.class)
			.hasMessageContaining("empty");
	}

	@Test
	void emptyScopeIsRejected() {
		assertThatThrownBy(() -> this.keys.key("", "id")).isInstanceOf(InvalidMessageIdException.class)
			.hasMessageContaining("scope");
	}

	@Test
	void invalidMessageIdExceptionIsAnIllegalArgumentException() {
		assertThat(new InvalidMessageIdException("x")).isInstanceOf(IllegalArgumentException.class);
	}

	@ParameterizedTest
	@ValueSource(chars = { '\n', '\r', '\u0000', '\u007f', '\u0085', '\t', '\u001b', '\u009f' })
	void idWithAControlCharacterIsRejectedWithItsIndexAndCodePoint(char control) {
		String id = "abc" + control + "def";

		assertThatThrownBy(() -> this.keys.key("g", id)).isInstanceOf(InvalidMessageIdException.class)
			.hasMessageContaining("index 3")
			.hasMessageContaining(String.format("U+%04X", (int) control))
			.hasMessageContaining("abc?def")
			.satisfies((ex) -> assertThat(ex.getMessage()).doesNotContain(String.valueOf(control)));
	}

	@ParameterizedTest
	@ValueSource(chars = { '\n', '\r', '\u0000', '\u007f', '\u0085' })
	void scopeWithAControlCharacterIsRejected(char control) {
		String scope = "grp" + control;

		assertThatThrownBy(() -> this.keys.key(scope, "id")).isInstanceOf(InvalidMessageIdException.class)
			.hasMessageContaining("scope")
			.hasMessageContaining("index 3")
			.hasMessageContaining(String.format("U+%04X", (int) control))
			.satisfies((ex) -> assertThat(ex.getMessage()).doesNotContain(String.valueOf(control)));
	}

	@Test
	void controlCharacterFarIntoALongIdIsReportedWithoutEchoingIt() {
		String id = "a".repeat(5000) + "\r\n" + "b".repeat(5000);

		assertThatThrownBy(() -> this.keys.key("g", id)).isInstanceOf(InvalidMessageIdException.class)
			.hasMessageContaining("index 5000")
			.hasMessageContaining("U+000D")
			.satisfies((ex) -> assertThat(ex.getMessage()).doesNotContain("\r")
				.doesNotContain("\n")
				.hasSizeLessThan(300));
	}

	@Test
	void controlCharacterIsRejectedEvenWhenTheIdWouldBeHashed() {
		String id = "a".repeat(MAX * 2) + "\u0000";

		assertThatThrownBy(() -> this.keys.key("g", id)).isInstanceOf(InvalidMessageIdException.class)
			.hasMessageContaining("index " + MAX * 2)
			.hasMessageContaining("U+0000");
	}

	@Test
	void emptyPrefixIsRejected() {
		assertThatIllegalArgumentException().isThrownBy(() -> new DedupKeys("", MAX)).withMessageContaining("prefix");
	}

	@ParameterizedTest
	@ValueSource(strings = { "de\ndup", "dedup\r", "\u0000dedup", "de\u007fdup", "de\u0085dup" })
	void prefixWithAControlCharacterIsRejected(String prefix) {
		assertThatIllegalArgumentException().isThrownBy(() -> new DedupKeys(prefix, MAX))
			.withMessageContaining("prefix");
	}

	@Test
	void prefixLeavingExactlyRoomForAHashedIdIsAccepted() {
		// prefix + "::" + "sha256:" + 64 hex = MAX, with a one-character scope not yet counted
		String prefix = "p".repeat(MAX - 2 - 7 - 64);

		assertThat(new DedupKeys(prefix, MAX).prefix()).isEqualTo(prefix);
	}

	@Test
	void prefixTooLongForTheMaximumKeyLengthIsRejected() {
		String prefix = "p".repeat(MAX - 2 - 7 - 64 + 1);

		assertThatIllegalArgumentException().isThrownBy(() -> new DedupKeys(prefix, MAX))
			.withMessageContaining(String.valueOf(MAX));
	}

	@Test
	void prefixLengthIsMeasuredInUtf8Bytes() {
		int room = MAX - 2 - 7 - 64;
		String twoByte = "é".repeat(room / 2 + 1); // fits in characters, not in bytes

		assertThatIllegalArgumentException().isThrownBy(() -> new DedupKeys(twoByte, MAX));
	}

	private static int utf8Length(String value) {
		return value.getBytes(StandardCharsets.UTF_8).length;
	}

	private static String sha256Hex(String value) {
		try {
			return HexFormat.of()
				.formatHex(MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8)));
		}
		catch (Exception ex) {
			throw new IllegalStateException(ex);
		}
	}

	@Test
	void aColonInTheScopeCannotMakeTwoScopeAndIdPairsShareAKey() {
		assertThat(this.keys.key("a:b", "c")).isNotEqualTo(this.keys.key("a", "b:c"));
		assertThat(this.keys.key("a:b", "c")).isEqualTo("dedup:a%3Ab:c");
		assertThat(this.keys.key("a%3Ab", "c")).isEqualTo("dedup:a%253Ab:c");
	}

	@Test
	void idsWithLoneSurrogatesAreRejectedBecauseTheyWouldEncodeAlike() {
		assertThatThrownBy(() -> this.keys.key("g", "\uD800x")).isInstanceOf(InvalidMessageIdException.class)
			.hasMessageContaining("unpaired UTF-16 surrogate");
		assertThatThrownBy(() -> this.keys.key("g", "x\uDC00")).isInstanceOf(InvalidMessageIdException.class);
		assertThatThrownBy(() -> this.keys.key("g", "x\uD800")).isInstanceOf(InvalidMessageIdException.class);
		assertThat(this.keys.key("g", "emoji-\uD83D\uDE00")).endsWith("emoji-\uD83D\uDE00");
	}


	@Test
	void keyLengthsAreCountedAsTheirUtf8BytesWithoutEncoding() {
		for (String value : java.util.List.of("", "order-42", "café", "注文-42", "emoji 😀 id", "mixé 注 😀 end", "ÿ" + "€".repeat(40))) {
			assertThat(DedupKeys.utf8Length(value)).as(value)
				.isEqualTo(value.getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
		}
	}

	@Test
	void aScopeIsCheckedAndEscapedTheSameOnEveryUse() {
		DedupKeys keys = new DedupKeys("dedup", 200);
		assertThat(keys.key("a:b", "1")).isEqualTo("dedup:a%3Ab:1");
		assertThat(keys.key("a:b", "2")).isEqualTo("dedup:a%3Ab:2");
		for (int attempt = 0; attempt < 2; attempt++) {
			org.assertj.core.api.Assertions.assertThatExceptionOfType(InvalidMessageIdException.class)
				.isThrownBy(() -> keys.key("bad\u0001scope", "1"))
				.withMessageContaining("control character");
		}
	}

}
