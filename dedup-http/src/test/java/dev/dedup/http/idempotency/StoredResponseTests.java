package dev.dedup.http.idempotency;

import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class StoredResponseTests {

	@Test
	void roundTripsByteExact() {
		byte[] body = new byte[70_000];
		new Random(7).nextBytes(body);
		byte[] fingerprint = new byte[32];
		fingerprint[0] = 9;
		StoredResponse stored = new StoredResponse(fingerprint, 201,
				List.of(new StoredResponse.Header("Location", "/orders/é1"), new StoredResponse.Header("ETag", "\"x\"")),
				body);
		StoredResponse read = StoredResponse.fromBytes(stored.toBytes());
		assertThat(read).isNotNull();
		assertThat(read.status()).isEqualTo(201);
		assertThat(read.headers()).isEqualTo(stored.headers());
		assertThat(read.body()).isEqualTo(body);
		assertThat(read.matches(fingerprint)).isTrue();
		assertThat(read.matches(new byte[32])).isFalse();
	}

	@Test
	void bytesThatAreNotAStoredResponseReadAsNull() {
		byte[] valid = new StoredResponse(new byte[32], 200, List.of(), new byte[] { 1, 2 }).toBytes();
		assertThat(StoredResponse.fromBytes(null)).isNull();
		assertThat(StoredResponse.fromBytes(new byte[0])).isNull();
		assertThat(StoredResponse.fromBytes(new byte[] { 2, 0, 0 })).as("other version").isNull();
		assertThat(StoredResponse.fromBytes(java.util.Arrays.copyOf(valid, valid.length - 1))).as("truncated").isNull();
		assertThat(StoredResponse.fromBytes(java.util.Arrays.copyOf(valid, valid.length + 1))).as("trailing").isNull();
	}

}
