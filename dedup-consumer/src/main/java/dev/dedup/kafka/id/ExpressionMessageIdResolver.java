package dev.dedup.kafka.id;

import java.nio.charset.StandardCharsets;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.jspecify.annotations.Nullable;
import org.springframework.expression.EvaluationContext;
import org.springframework.expression.Expression;
import org.springframework.expression.ParseException;
import org.springframework.expression.spel.standard.SpelExpressionParser;
import org.springframework.expression.spel.support.SimpleEvaluationContext;

/**
 * The id is a SpEL expression over the record, for example {@code header('order-id')},
 * {@code key}, {@code value.orderId} (with a deserializer that yields objects) or
 * {@code topic + ':' + header('event-id')}. The root object offers {@code key}, {@code value},
 * {@code topic}, {@code partition}, {@code offset}, {@code timestamp} and {@code header(name)} (UTF-8).
 * Evaluated in a read-only {@link SimpleEvaluationContext}: no type references, no bean access.
 */
public final class ExpressionMessageIdResolver implements MessageIdResolver {

	private static final SpelExpressionParser PARSER = new SpelExpressionParser();

	private final String source;

	private final Expression expression;

	public ExpressionMessageIdResolver(String expression) {
		this.source = expression;
		try {
			this.expression = PARSER.parseExpression(expression);
		}
		catch (ParseException ex) {
			throw new IllegalArgumentException("Invalid dedup id expression '" + expression + "': "
					+ ex.getMessage(), ex);
		}
	}

	@Override
	public @Nullable String resolve(ConsumerRecord<?, ?> record) {
		EvaluationContext context = SimpleEvaluationContext.forReadOnlyDataBinding()
			.withInstanceMethods()
			.withRootObject(new Root(record))
			.build();
		Object id = this.expression.getValue(context);
		return id == null ? null : id.toString();
	}

	@Override
	public String toString() {
		return "expression '" + this.source + "'";
	}

	/** What the expression sees. Public so SpEL can read it. */
	public static final class Root {

		private final ConsumerRecord<?, ?> record;

		Root(ConsumerRecord<?, ?> record) {
			this.record = record;
		}

		public @Nullable Object getKey() {
			return this.record.key();
		}

		public @Nullable Object getValue() {
			return this.record.value();
		}

		public String getTopic() {
			return this.record.topic();
		}

		public int getPartition() {
			return this.record.partition();
		}

		public long getOffset() {
			return this.record.offset();
		}

		public long getTimestamp() {
			return this.record.timestamp();
		}

		public ConsumerRecord<?, ?> getRecord() {
			return this.record;
		}

		public @Nullable String header(String name) {
			Header header = this.record.headers().lastHeader(name);
			return header == null || header.value() == null ? null
					: new String(header.value(), StandardCharsets.UTF_8);
		}

	}

}
