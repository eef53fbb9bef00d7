package dev.dedup.core.key;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DedupKeysTests {

	/** {@code "dedup:kafka:g:"}: the head of every Kafka key built with group {@code g} below. */
	private static final int HEAD = "dedup:kafka:g:".length();

	private static final int MAX = 100;

	/** prefix(5) + ':' + "token-outstanding"(17) + ":sha256:"(8) + 64 hex: a hashed key of the longest kind. */
	private static final int ROOM_FOR_PREFIX = MAX - 1 - 17 - 8 - 64;

	private final DedupKeys keys = new DedupKeys("dedup", MAX);

	@Test
	void kafkaKeyIsPrefixKindGroupAndIdSeparatedByColons() {
		assertThat(this.keys.kafka("orders-service", "msg-42")).isEqualTo("dedup:kafka:orders-service:msg-42");
		assertThat(this.keys.key(KeyKind.KAFKA, "orders-service", "msg-42"))
			.isEqualTo("dedup:kafka:orders-service:msg-42");
		assertThat(this.keys.prefix()).isEqualTo("dedup");
		assertThat(this.keys.kafkaLayout()).isEqualTo(KafkaKeyLayout.KINDED);
	}

	@Test
	@SuppressWarnings("deprecation")
	void theDeprecatedScopeAndIdKeyIsTheKafkaKey() {
		assertThat(this.keys.key("g", "id")).isEqualTo(this.keys.kafka("g", "id"));
	}

	@Test
	void nonAsciiPrintableIdsAreKeptAsTheyAre() {
		assertThat(this.keys.kafka("g", "bestellung-über-€-😀")).isEqualTo("dedup:kafka:g:bestellung-über-€-😀");
	}

	@Test
	void httpKeysJoinEscapedSegmentsUnderPrefixAndKind() {
		assertThat(this.keys.key(KeyKind.LOCK, "alice", "/orders/{id}", "abc"))
			.isEqualTo("dedup:lock:alice:/orders/{id}:abc");
		assertThat(this.keys.key(KeyKind.IDEMPOTENCY, "alice", "POST /orders", "k-1"))
			.isEqualTo("dedup:idem:alice:POST /orders:k-1");
		assertThat(this.keys.key(KeyKind.TOKEN, "alice", "/orders", "hash"))
			.isEqualTo("dedup:token:alice:/orders:hash");
		assertThat(this.keys.key(KeyKind.TOKEN_OUTSTANDING, "alice", "/orders"))
			.isEqualTo("dedup:token-outstanding:alice:/orders");
		assertThat(this.keys.key(KeyKind.LOCK, "a:b", "c", "d")).isEqualTo("dedup:lock:a%3Ab:c:d");
		assertThat(this.keys.key(KeyKind.LOCK, "a", "b:c", "d")).as("segments cannot run into each other")
			.isNotEqualTo(this.keys.key(KeyKind.LOCK, "a:b", "c", "d"));
		assertThat(this.keys.key(KeyKind.LOCK, "100%", "x", "y")).isEqualTo("dedup:lock:100%25:x:y");
	}

	@Test
	void httpSegmentsEscapeControlCharactersAndLoneSurrogates() {
		assertThat(this.keys.key(KeyKind.IDEMPOTENCY, "u", "o", "a\tb\n\u0000")).isEqualTo("dedup:idem:u:o:a%09b%0A%00");
		assertThat(this.keys.key(KeyKind.IDEMPOTENCY, "u", "o", "x\uD800y")).isEqualTo("dedup:idem:u:o:x%uD800y");
		assertThat(this.keys.key(KeyKind.IDEMPOTENCY, "u", "o", "\uD83D\uDE00")).isEqualTo("dedup:idem:u:o:\uD83D\uDE00");
	}

	@Test
	void aKindTakesItsNumberOfSegments() {
		assertThatIllegalArgumentException().isThrownBy(() -> this.keys.key(KeyKind.LOCK, "alice", "/orders"))
			.withMessageContaining("3 segments");
		assertThatIllegalArgumentException().isThrownBy(() -> this.keys.key(KeyKind.KAFKA, "g"));
	}

	@Test
	void kindsAreNamedByTheirSegment() {
		for (KeyKind kind : KeyKind.values()) {
			assertThat(KeyKind.ofSegment(kind.segment())).isSameAs(kind);
		}
		assertThatIllegalArgumentException().isThrownBy(() -> KeyKind.ofSegment("nope")).withMessageContaining("nope");
	}

	@Test
	void kafkaIdsAndGroupsAreEscapedByTheOneRule() {
		assertThat(this.keys.kafka("a:b", "c")).isEqualTo("dedup:kafka:a%3Ab:c");
		assertThat(this.keys.kafka("a", "b:c")).isEqualTo("dedup:kafka:a:b%3Ac");
		assertThat(this.keys.kafka("a%3Ab", "c")).isEqualTo("dedup:kafka:a%253Ab:c");
		assertThat(this.keys.kafka("g", "100%")).isEqualTo("dedup:kafka:g:100%25");
		assertThat(this.keys.kafka("g", "offset:orders-2-42")).isEqualTo("dedup:kafka:g:offset%3Aorders-2-42");
		assertThat(this.keys.kafka("bad\u0001group", "1")).isEqualTo("dedup:kafka:bad%01group:1");
		// The same text gives the same segment, whichever kind it is in.
		assertThat(this.keys.kafka("a:%\u0001", "b:%")).isEqualTo(this.keys.key(KeyKind.KAFKA, "a:%\u0001", "b:%"))
			.endsWith(this.keys.key(KeyKind.TOKEN_OUTSTANDING, "a:%\u0001", "b:%")
				.substring("dedup:token-outstanding".length()));
	}

	@Test
	void consumerGroupsNamedLikeHttpKindsNeverGiveAnHttpKey() {
		List<String> segments = List.of("lock", "idem", "token", "token-outstanding", "kafka", "a:b", "100%",
				"a%3Ab", "sha256", "", "x", "lock:alice", "alice:/orders", "/orders:abc", "alice:/orders:abc");
		Map<String, String> httpKeys = new HashMap<>();
		for (String a : segments) {
			for (String b : segments) {
				httpKeys.put(this.keys.key(KeyKind.TOKEN_OUTSTANDING, a, b), "token-outstanding " + a + " " + b);
				for (String c : segments) {
					for (KeyKind kind : List.of(KeyKind.LOCK, KeyKind.IDEMPOTENCY, KeyKind.TOKEN)) {
						httpKeys.put(this.keys.key(kind, a, b, c), kind + " " + a + " " + b + " " + c);
					}
				}
			}
		}
		for (String group : List.of("lock", "idem", "token", "token-outstanding", "kafka", "a:b", "100%", "lock:alice",
				"idem:alice", "token:alice:/orders", "token-outstanding:alice", "sha256")) {
			for (String id : segments) {
				if (!id.isEmpty()) {
					String key = this.keys.kafka(group, id);
					assertThat(key).startsWith("dedup:kafka:");
					assertThat(httpKeys).as("group %s, id %s", group, id).doesNotContainKey(key);
				}
			}
			assertThat(httpKeys).doesNotContainKey(this.keys.kafka(group, "x".repeat(500)));
		}
		// The old layout had exactly this collision: group "lock", id "alice:/orders:abc".
		assertThat(this.keys.key(KeyKind.LOCK, "alice", "/orders", "abc")).isEqualTo("dedup:lock:alice:/orders:abc")
			.isEqualTo(new DedupKeys("dedup", MAX, KafkaKeyLayout.LEGACY).kafka("lock", "alice:/orders:abc"));
	}

	@Test
	void keyOfExactlyTheMaximumLengthKeepsItsId() {
		String id = "a".repeat(MAX - HEAD);

		String key = this.keys.kafka("g", id);

		assertThat(key).isEqualTo("dedup:kafka:g:" + id);
		assertThat(utf8Length(key)).isEqualTo(MAX);
	}

	@Test
	void escapesCountTowardsTheLength() {
		String fits = "a".repeat(MAX - HEAD - 3) + ":";
		String over = "a".repeat(MAX - HEAD - 2) + ":";

		assertThat(this.keys.kafka("g", fits)).hasSize(MAX).endsWith("a%3A");
		assertThat(this.keys.kafka("g", over)).isEqualTo(kafkaHashed("g", over.replace(":", "%3A")));
	}

	@Test
	void keyOneByteOverTheMaximumKeepsPrefixAndKindAndHashesTheRest() {
		String id = "a".repeat(MAX - HEAD + 1);

		String key = this.keys.kafka("g", id);

		assertThat(key).isEqualTo("dedup:kafka:sha256:" + sha256Hex(":g:" + id));
		assertThat(utf8Length(key)).isLessThanOrEqualTo(MAX);
	}

	@Test
	void hashedKeyIsTheSha256OfTheEscapedRestIn64LowercaseHexDigits() {
		String id = "x".repeat(500) + ":%";

		String key = this.keys.kafka("g:1", id);

		assertThat(key).startsWith("dedup:kafka:sha256:");
		String hex = key.substring("dedup:kafka:sha256:".length());
		assertThat(hex).hasSize(64).matches("[0-9a-f]{64}").isEqualTo(sha256Hex(":g%3A1:" + "x".repeat(500) + "%3A%25"));
	}

	@Test
	void httpKeysHashTheSameWay() {
		String key = this.keys.key(KeyKind.IDEMPOTENCY, "alice", "POST /o", "x".repeat(10_000));
		assertThat(key).isEqualTo("dedup:idem:sha256:" + sha256Hex(":alice:POST /o:" + "x".repeat(10_000)));
		assertThat(this.keys.key(KeyKind.IDEMPOTENCY, "alice", "POST /o", "x".repeat(10_000) + "y")).isNotEqualTo(key);
		assertThat(this.keys.key(KeyKind.IDEMPOTENCY, "bob", "POST /o", "x".repeat(10_000))).isNotEqualTo(key);
		String longest = this.keys.key(KeyKind.LOCK, "i", "o", "x".repeat(MAX - "dedup:lock:i:o:".length()));
		assertThat(utf8Length(longest)).isEqualTo(MAX);
		assertThat(longest).doesNotContain("sha256");
	}

	@Test
	void lengthIsMeasuredInUtf8BytesNotCharacters() {
		// 2-byte characters: fits in characters, not in bytes
		String twoByte = "é".repeat(MAX - HEAD - 1);
		assertThat(("dedup:kafka:g:" + twoByte).length()).isLessThan(MAX);
		assertThat(this.keys.kafka("g", twoByte)).isEqualTo(kafkaHashed("g", twoByte));

		// exactly at the limit with 2-byte characters: kept
		String twoByteAtLimit = "é".repeat((MAX - HEAD) / 2);
		assertThat(utf8Length("dedup:kafka:g:" + twoByteAtLimit)).isEqualTo(MAX);
		assertThat(this.keys.kafka("g", twoByteAtLimit)).isEqualTo("dedup:kafka:g:" + twoByteAtLimit);

		// a 4-byte character (a surrogate pair) tipping the key one byte over
		String emojiAtLimit = "a".repeat(MAX - HEAD - 4) + "😀";
		String emojiOver = "a".repeat(MAX - HEAD - 3) + "😀";
		assertThat(this.keys.kafka("g", emojiAtLimit)).isEqualTo("dedup:kafka:g:" + emojiAtLimit);
		assertThat(this.keys.kafka("g", emojiOver)).isEqualTo(kafkaHashed("g", emojiOver));
	}

	@Test
	void multiByteGroupCountsInBytesToo() {
		String group = "ü".repeat(5); // 10 bytes
		String head = "dedup:kafka:" + group + ":";
		String fits = "a".repeat(MAX - utf8Length(head));
		String over = fits + "a";

		assertThat(this.keys.kafka(group, fits)).isEqualTo(head + fits);
		assertThat(this.keys.kafka(group, over)).isEqualTo(kafkaHashed(group, over));
	}

	@Test
	void hashingIsDeterministic() {
		String id = "id-".repeat(100);

		assertThat(this.keys.kafka("g", id)).isEqualTo(this.keys.kafka("g", id))
			.isEqualTo(new DedupKeys("dedup", MAX).kafka("g", id));
	}

	@Test
	void differentLongIdsGiveDifferentKeys() {
		String base = "z".repeat(300);

		String a = this.keys.kafka("g", base + "1");
		String b = this.keys.kafka("g", base + "2");
		String multiByte = this.keys.kafka("g", base + "é");

		assertThat(a).isNotEqualTo(b).isNotEqualTo(multiByte);
		assertThat(b).isNotEqualTo(multiByte);
	}

	@Test
	void sameLongIdInDifferentGroupsGivesDifferentKeys() {
		String id = "z".repeat(300);

		assertThat(this.keys.kafka("g1", id)).isNotEqualTo(this.keys.kafka("g2", id));
		assertThat(this.keys.kafka("g:1", id)).isNotEqualTo(this.keys.kafka("g", "1:" + id));
	}

	@Test
	void tenKilobyteIdWorks() {
		DedupKeys storeSized = new DedupKeys("dedup", 512);
		String id = "0123456789".repeat(1024);

		String key = storeSized.kafka("consumer-group", id);

		assertThat(key).isEqualTo("dedup:kafka:sha256:" + sha256Hex(":consumer-group:" + id));
		assertThat(utf8Length(key)).isLessThanOrEqualTo(512);
	}

	@Test
	void anyGroupLengthWorksBecauseTheGroupIsHashedToo() {
		String group = "s".repeat(MAX * 3);

		String key = this.keys.kafka(group, "i");

		assertThat(key).isEqualTo(kafkaHashed(group, "i"));
		assertThat(utf8Length(key)).isLessThanOrEqualTo(MAX);
	}

	@Test
	void emptyIdIsRejected() {
		assertThatThrownBy(() -> this.keys.kafka("g", "")).isInstanceOf(InvalidMessageIdException.class)
			.hasMessageContaining("empty");
	}

	@Test
	void emptyGroupIsRejected() {
		assertThatThrownBy(() -> this.keys.kafka("", "id")).isInstanceOf(InvalidMessageIdException.class)
			.hasMessageContaining("group");
	}

	@Test
	void invalidMessageIdExceptionIsAnIllegalArgumentException() {
		assertThat(new InvalidMessageIdException("x")).isInstanceOf(IllegalArgumentException.class);
	}

	@ParameterizedTest
	@ValueSource(chars = { '\n', '\r', '\u0000', '\u007f', '\u0085', '\t', '\u001b', '\u009f' })
	void idWithAControlCharacterIsRejectedWithItsIndexAndCodePoint(char control) {
		String id = "abc" + control + "def";

		for (KafkaKeyLayout layout : KafkaKeyLayout.values()) {
			assertThatThrownBy(() -> new DedupKeys("dedup", MAX, layout).kafka("g", id))
				.isInstanceOf(InvalidMessageIdException.class)
				.hasMessageContaining("index 3")
				.hasMessageContaining(String.format("U+%04X", (int) control))
				.hasMessageContaining("abc?def")
				.satisfies((ex) -> assertThat(ex.getMessage()).doesNotContain(String.valueOf(control)));
		}
	}

	@Test
	void controlCharacterFarIntoALongIdIsReportedWithoutEchoingIt() {
		String id = "a".repeat(5000) + "\r\n" + "b".repeat(5000);

		assertThatThrownBy(() -> this.keys.kafka("g", id)).isInstanceOf(InvalidMessageIdException.class)
			.hasMessageContaining("index 5000")
			.hasMessageContaining("U+000D")
			.satisfies((ex) -> assertThat(ex.getMessage()).doesNotContain("\r")
				.doesNotContain("\n")
				.hasSizeLessThan(300));
	}

	@Test
	void controlCharacterIsRejectedEvenWhenTheIdWouldBeHashed() {
		String id = "a".repeat(MAX * 2) + "\u0000";

		assertThatThrownBy(() -> this.keys.kafka("g", id)).isInstanceOf(InvalidMessageIdException.class)
			.hasMessageContaining("index " + MAX * 2)
			.hasMessageContaining("U+0000");
	}

	@Test
	void idsWithLoneSurrogatesAreRejectedBecauseTheyWouldEncodeAlike() {
		for (KafkaKeyLayout layout : KafkaKeyLayout.values()) {
			DedupKeys keys = new DedupKeys("dedup", MAX, layout);
			assertThatThrownBy(() -> keys.kafka("g", "\uD800x")).isInstanceOf(InvalidMessageIdException.class)
				.hasMessageContaining("unpaired UTF-16 surrogate");
			assertThatThrownBy(() -> keys.kafka("g", "x\uDC00")).isInstanceOf(InvalidMessageIdException.class);
			assertThatThrownBy(() -> keys.kafka("g", "x\uD800")).isInstanceOf(InvalidMessageIdException.class);
			assertThat(keys.kafka("g", "emoji-\uD83D\uDE00")).endsWith("emoji-\uD83D\uDE00");
		}
	}

	@Test
	void aGroupIsEscapedTheSameOnEveryUse() {
		DedupKeys keys = new DedupKeys("dedup", 200);
		for (int attempt = 0; attempt < 2; attempt++) {
			assertThat(keys.kafka("a:b", "1")).isEqualTo("dedup:kafka:a%3Ab:1");
			assertThat(keys.kafka("a:b", "2")).isEqualTo("dedup:kafka:a%3Ab:2");
		}
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
	void prefixLeavingExactlyRoomForAHashedKeyOfTheLongestKindIsAccepted() {
		String prefix = "p".repeat(ROOM_FOR_PREFIX);

		DedupKeys keys = new DedupKeys(prefix, MAX);

		assertThat(keys.prefix()).isEqualTo(prefix);
		assertThat(utf8Length(keys.key(KeyKind.TOKEN_OUTSTANDING, "i", "o".repeat(MAX)))).isEqualTo(MAX);
		assertThat(utf8Length(keys.kafka("g", "i".repeat(MAX)))).isLessThan(MAX);
	}

	@Test
	void prefixTooLongForTheMaximumKeyLengthIsRejected() {
		String prefix = "p".repeat(ROOM_FOR_PREFIX + 1);

		assertThatIllegalArgumentException().isThrownBy(() -> new DedupKeys(prefix, MAX))
			.withMessageContaining(String.valueOf(MAX));
	}

	@Test
	void prefixLengthIsMeasuredInUtf8Bytes() {
		String twoByte = "é".repeat(ROOM_FOR_PREFIX / 2 + 1); // fits in characters, not in bytes

		assertThatIllegalArgumentException().isThrownBy(() -> new DedupKeys(twoByte, MAX));
	}

	@Test
	void keyLengthsAreCountedAsTheirUtf8BytesWithoutEncoding() {
		for (String value : List.of("", "order-42", "café", "注文-42", "emoji 😀 id", "mixé 注 😀 end", "ÿ" + "€".repeat(40))) {
			assertThat(KeyText.utf8Length(value)).as(value).isEqualTo(utf8Length(value));
		}
	}

	/** The layout and hashing of dedup before the kinds, byte for byte: old entries must be found. */
	@Nested
	class LegacyLayout {

		/** {@code "dedup:g:"}: the head of every legacy key built with group {@code g} below. */
		private static final int LEGACY_HEAD = "dedup:g:".length();

		private final DedupKeys legacy = new DedupKeys("dedup", MAX, KafkaKeyLayout.LEGACY);

		@Test
		void keyIsPrefixGroupAndIdAsTheyWere() {
			assertThat(this.legacy.kafka("orders-service", "msg-42")).isEqualTo("dedup:orders-service:msg-42");
			assertThat(this.legacy.kafka("g", "offset:orders-2-42")).as("the id is not escaped")
				.isEqualTo("dedup:g:offset:orders-2-42");
			assertThat(this.legacy.kafka("a:b", "c")).isEqualTo("dedup:a%3Ab:c");
			assertThat(this.legacy.kafka("a%3Ab", "c")).isEqualTo("dedup:a%253Ab:c");
			assertThat(this.legacy.kafkaLayout()).isEqualTo(KafkaKeyLayout.LEGACY);
		}

		@Test
		void httpKeysAreTheSameInBothLayouts() {
			assertThat(this.legacy.key(KeyKind.LOCK, "alice", "/orders", "abc"))
				.isEqualTo(DedupKeysTests.this.keys.key(KeyKind.LOCK, "alice", "/orders", "abc"))
				.isEqualTo("dedup:lock:alice:/orders:abc");
			String longIdem = "x".repeat(500);
			assertThat(this.legacy.key(KeyKind.IDEMPOTENCY, "alice", "POST /o", longIdem))
				.isEqualTo(DedupKeysTests.this.keys.key(KeyKind.IDEMPOTENCY, "alice", "POST /o", longIdem));
		}

		@Test
		void keyOfExactlyTheMaximumLengthKeepsItsId() {
			String id = "a".repeat(MAX - LEGACY_HEAD);

			assertThat(this.legacy.kafka("g", id)).isEqualTo("dedup:g:" + id);
		}

		@Test
		void tooLongIdIsReplacedByTheSha256OfTheId() {
			String id = "a".repeat(MAX - LEGACY_HEAD + 1);
			String emojiOver = "a".repeat(MAX - LEGACY_HEAD - 3) + "😀";

			assertThat(this.legacy.kafka("g", id)).isEqualTo("dedup:g:sha256:" + sha256Hex(id));
			assertThat(this.legacy.kafka("g", emojiOver)).isEqualTo("dedup:g:sha256:" + sha256Hex(emojiOver));
			assertThat(new DedupKeys("dedup", 512, KafkaKeyLayout.LEGACY).kafka("consumer-group", "0".repeat(10240)))
				.isEqualTo("dedup:consumer-group:sha256:" + sha256Hex("0".repeat(10240)));
		}

		@Test
		void groupTooLongEvenForAHashedIdIsRejected() {
			String fits = "s".repeat(MAX - 5 - 2 - 7 - 64);
			String over = fits + "s";

			assertThat(utf8Length(this.legacy.kafka(fits, "i".repeat(MAX)))).isEqualTo(MAX);
			assertThatThrownBy(() -> this.legacy.kafka(over, "i".repeat(MAX)))
				.isInstanceOf(InvalidMessageIdException.class)
				.hasMessageContaining("group")
				.hasMessageContaining(String.valueOf(MAX));
		}

		@Test
		void emptyIdAndGroupAreRejected() {
			assertThatThrownBy(() -> this.legacy.kafka("g", "")).isInstanceOf(InvalidMessageIdException.class);
			assertThatThrownBy(() -> this.legacy.kafka("", "id")).isInstanceOf(InvalidMessageIdException.class);
		}

	}

	private static String kafkaHashed(String group, String escapedId) {
		return "dedup:kafka:sha256:" + sha256Hex(":" + group + ":" + escapedId);
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

}
