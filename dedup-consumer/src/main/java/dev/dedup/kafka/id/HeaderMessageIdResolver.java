package dev.dedup.kafka.id;

import java.nio.charset.StandardCharsets;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.jspecify.annotations.Nullable;

/** The id is the UTF-8 value of a header (the last one, if the header repeats). */
public final class HeaderMessageIdResolver implements MessageIdResolver {

	private final String headerName;

	public HeaderMessageIdResolver(String headerName) {
		if (headerName.isBlank()) {
			throw new IllegalArgumentException("The id header name must not be blank");
		}
		this.headerName = headerName;
	}

	@Override
	public @Nullable String resolve(ConsumerRecord<?, ?> record) {
		Header header = record.headers().lastHeader(this.headerName);
		return header == null || header.value() == null ? null
				: new String(header.value(), StandardCharsets.UTF_8);
	}

	@Override
	public String toString() {
		return "header '" + this.headerName + "'";
	}

}
