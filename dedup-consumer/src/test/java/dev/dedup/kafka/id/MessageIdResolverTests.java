package dev.dedup.kafka.id;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;
import org.springframework.expression.spel.SpelEvaluationException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class MessageIdResolverTests {

	@Test
	void headerResolverReadsTheLastHeaderAsUtf8() {
		RecordHeaders headers = new RecordHeaders();
		headers.add(new RecordHeader("dedup-id", "first".getBytes(StandardCharsets.UTF_8)));
		headers.add(new RecordHeader("other", "x".getBytes(StandardCharsets.UTF_8)));
		headers.add(new RecordHeader("dedup-id", "zwölf-€".getBytes(StandardCharsets.UTF_8)));
		ConsumerRecord<Object, Object> record = record(null, "v", headers);

		assertThat(new HeaderMessageIdResolver("dedup-id").resolve(record)).isEqualTo("zwölf-€");
	}

	@Test
	void headerResolverAnswersNullWhenTheHeaderIsAbsentOrHasNoValue() {
		RecordHeaders headers = new RecordHeaders();
		headers.add(new RecordHeader("empty", null));
		ConsumerRecord<Object, Object> record = record(null, "v", headers);

		assertThat(new HeaderMessageIdResolver("dedup-id").resolve(record)).isNull();
		assertThat(new HeaderMessageIdResolver("empty").resolve(record)).isNull();
	}

	@Test
	void headerResolverRefusesABlankName() {
		assertThatIllegalArgumentException().isThrownBy(() -> new HeaderMessageIdResolver(" "));
	}

	@Test
	void recordKeyResolverReadsByteArrayKeysAsUtf8AndOthersThroughToString() {
		RecordKeyMessageIdResolver resolver = new RecordKeyMessageIdResolver();

		assertThat(resolver.resolve(record("schlüssel".getBytes(StandardCharsets.UTF_8), "v", new RecordHeaders())))
			.isEqualTo("schlüssel");
		assertThat(resolver.resolve(record("order-1", "v", new RecordHeaders()))).isEqualTo("order-1");
		assertThat(resolver.resolve(record(42L, "v", new RecordHeaders()))).isEqualTo("42");
		assertThat(resolver.resolve(record(null, "v", new RecordHeaders()))).isNull();
	}

	@Test
	void expressionCanReadAHeader() {
		RecordHeaders headers = new RecordHeaders();
		headers.add(new RecordHeader("x", "one".getBytes(StandardCharsets.UTF_8)));
		headers.add(new RecordHeader("x", "two".getBytes(StandardCharsets.UTF_8)));

		assertThat(new ExpressionMessageIdResolver("header('x')").resolve(record("k", "v", headers))).isEqualTo("two");
		assertThat(new ExpressionMessageIdResolver("header('absent')").resolve(record("k", "v", headers))).isNull();
	}

	@Test
	void expressionCanReadTheKey() {
		assertThat(new ExpressionMessageIdResolver("key").resolve(record("k-1", "v", new RecordHeaders())))
			.isEqualTo("k-1");
	}

	@Test
	void expressionCanCombineTopicAndOffset() {
		assertThat(new ExpressionMessageIdResolver("topic + ':' + offset")
			.resolve(record("k", "v", new RecordHeaders()))).isEqualTo("orders:17");
		assertThat(new ExpressionMessageIdResolver("topic + '-' + partition + '@' + timestamp")
			.resolve(record("k", "v", new RecordHeaders()))).isEqualTo("orders-3@1000");
	}

	@Test
	void expressionCanIndexAMapValue() {
		ConsumerRecord<Object, Object> record = record("k", Map.of("orderId", "o-77", "amount", 5),
				new RecordHeaders());

		assertThat(new ExpressionMessageIdResolver("value['orderId']").resolve(record)).isEqualTo("o-77");
		assertThat(new ExpressionMessageIdResolver("value['amount']").resolve(record)).isEqualTo("5");
	}

	@Test
	void expressionCanReadAPropertyOfAnObjectValue() {
		ConsumerRecord<Object, Object> record = record("k", new Order("o-9"), new RecordHeaders());

		assertThat(new ExpressionMessageIdResolver("value.orderId").resolve(record)).isEqualTo("o-9");
	}

	@Test
	void invalidExpressionIsRefusedNamingTheExpression() {
		assertThatIllegalArgumentException().isThrownBy(() -> new ExpressionMessageIdResolver("header('x'"))
			.withMessageContaining("header('x'");
		assertThatIllegalArgumentException().isThrownBy(() -> new ExpressionMessageIdResolver("key +"))
			.withMessageContaining("'key +'");
	}

	@Test
	void readOnlyContextRefusesTypeReferences() {
		ExpressionMessageIdResolver resolver = new ExpressionMessageIdResolver(
				"T(java.lang.Runtime).getRuntime().availableProcessors()");

		assertThatExceptionOfType(SpelEvaluationException.class)
			.isThrownBy(() -> resolver.resolve(record("k", "v", new RecordHeaders())));
	}

	@Test
	void readOnlyContextRefusesConstructorsAndAssignments() {
		ConsumerRecord<Object, Object> record = record("k", "v", new RecordHeaders());

		assertThatExceptionOfType(SpelEvaluationException.class)
			.isThrownBy(() -> new ExpressionMessageIdResolver("new java.io.File('x').delete()").resolve(record));
		assertThatExceptionOfType(SpelEvaluationException.class)
			.isThrownBy(() -> new ExpressionMessageIdResolver("topic = 'hijacked'").resolve(record));
		assertThat(record.topic()).isEqualTo("orders");
	}

	@Test
	void describesItselfForLogMessages() {
		assertThat(new HeaderMessageIdResolver("dedup-id")).hasToString("header 'dedup-id'");
		assertThat(new RecordKeyMessageIdResolver()).hasToString("record key");
		assertThat(new ExpressionMessageIdResolver("key")).hasToString("expression 'key'");
	}

	private static ConsumerRecord<Object, Object> record(Object key, Object value, RecordHeaders headers) {
		return new ConsumerRecord<>("orders", 3, 17, 1000L, TimestampType.CREATE_TIME, -1, -1, key, value, headers,
				Optional.empty());
	}

	public record Order(String orderId) {
	}

}
