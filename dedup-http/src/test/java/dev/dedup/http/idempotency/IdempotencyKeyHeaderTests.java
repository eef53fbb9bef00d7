package dev.dedup.http.idempotency;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class IdempotencyKeyHeaderTests {

	@ParameterizedTest
	@CsvSource(delimiter = '|', quoteCharacter = '\'', value = { "abc|abc", "\"abc\"|abc",
			"8e03978e-40d5-43e8-bc93-6894a57f9324|8e03978e-40d5-43e8-bc93-6894a57f9324", "\"with space\"|with space",
			"\"esc\\\"aped\\\\\"|esc\"aped\\", "x|x", "'~!#$%&*+.^_`|'|'~!#$%&*+.^_`|'" })
	void acceptsBareAndQuotedKeys(String header, String key) {
		assertThat(IdempotencyKeyHeader.parse(header)).isEqualTo(key);
	}

	@ParameterizedTest
	@ValueSource(strings = { "", "\"\"", "a b", "a\tb", "a\nb", "a\u0000b", "a\u007Fb", "é", "\"é\"", "\"open",
			"\"a\"b\"", "a\"b", "\"bad \\escape\"", "\"trailing\\\"" })
	void refusesMalformedKeys(String header) {
		assertThat(IdempotencyKeyHeader.parse(header)).isNull();
	}

	@ParameterizedTest
	@ValueSource(ints = { 256, 10_240 })
	void refusesKeysLongerThan255(int length) {
		assertThat(IdempotencyKeyHeader.parse("k".repeat(length))).isNull();
		assertThat(IdempotencyKeyHeader.parse("\"" + "k".repeat(length) + "\"")).isNull();
		assertThat(IdempotencyKeyHeader.parse("k".repeat(255))).hasSize(255);
		assertThat(IdempotencyKeyHeader.parse("\"" + "k".repeat(255) + "\"")).hasSize(255);
	}

}
