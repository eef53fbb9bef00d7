package dev.dedup.http.token;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import org.jspecify.annotations.Nullable;

import org.junit.jupiter.api.Test;

import dev.dedup.core.key.DedupKeys;
import dev.dedup.core.key.KeyKind;
import dev.dedup.core.store.ClaimResult;
import dev.dedup.core.store.DedupStore;
import dev.dedup.core.store.DedupStoreException;
import dev.dedup.core.store.InMemoryDedupStore;
import dev.dedup.core.store.StoredEntry;
import dev.dedup.http.token.SubmitTokens.Consumption;
import dev.dedup.http.token.SubmitTokens.Issue;
import dev.dedup.test.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class SubmitTokensTests {

	private static final Duration TTL = Duration.ofMinutes(10);

	private final MutableClock clock = new MutableClock();

	private final InMemoryDedupStore store = new InMemoryDedupStore(this.clock);

	private final DedupKeys keys = new DedupKeys("dedup", 512);

	private final SubmitTokens tokens = new SubmitTokens(this.store, this.keys, TTL, Duration.ofMinutes(5), false);

	@Test
	void tokensAreWellFormed256BitRandoms() {
		String token = issued(this.tokens.issue("alice", "/orders"));
		assertThat(token).hasSize(43);
		assertThat(SubmitTokens.isWellFormed(token)).isTrue();
		assertThat(SubmitTokens.isWellFormed(token + "x")).isFalse();
		assertThat(SubmitTokens.isWellFormed(token.substring(1) + "=")).isFalse();
		assertThat(SubmitTokens.isWellFormed("dedup:token:alice:/orders")).isFalse();
	}

	@Test
	void aTokenIsConsumedOnceThenReadsAsUsedUntilItsTombstoneExpires() {
		String token = issued(this.tokens.issue("alice", "/orders"));
		assertThat(this.tokens.consume("alice", "/orders", token)).isEqualTo(Consumption.CONSUMED);
		assertThat(this.tokens.consume("alice", "/orders", token)).isEqualTo(Consumption.USED);
		this.clock.advance(Duration.ofMinutes(5));
		assertThat(this.tokens.consume("alice", "/orders", token)).isEqualTo(Consumption.UNKNOWN);
	}

	@Test
	void anExpiredTokenIsUnknownAndFreesTheSlot() {
		String token = issued(this.tokens.issue("alice", "/orders"));
		assertThat(this.tokens.issue("alice", "/orders")).isInstanceOf(Issue.Outstanding.class);
		this.clock.advance(TTL);
		assertThat(this.tokens.consume("alice", "/orders", token)).isEqualTo(Consumption.UNKNOWN);
		assertThat(this.tokens.issue("alice", "/orders")).isInstanceOf(Issue.Issued.class);
	}

	@Test
	void anOutstandingTokenBlocksIssuingForThatIdentityAndOperationOnly() {
		issued(this.tokens.issue("alice", "/orders"));
		this.clock.advance(Duration.ofMinutes(4));
		Issue second = this.tokens.issue("alice", "/orders");
		assertThat(second).isInstanceOf(Issue.Outstanding.class);
		assertThat(((Issue.Outstanding) second).remaining()).isEqualTo(Duration.ofMinutes(6));
		assertThat(this.tokens.issue("bob", "/orders")).isInstanceOf(Issue.Issued.class);
		assertThat(this.tokens.issue("alice", "/refunds")).isInstanceOf(Issue.Issued.class);
	}

	@Test
	void aTokenIsBoundToItsIdentityAndOperation() {
		String token = issued(this.tokens.issue("alice", "/orders"));
		assertThat(this.tokens.consume("bob", "/orders", token)).isEqualTo(Consumption.UNKNOWN);
		assertThat(this.tokens.consume("alice", "/refunds", token)).isEqualTo(Consumption.UNKNOWN);
		assertThat(this.tokens.consume("alice", "/orders", token)).isEqualTo(Consumption.CONSUMED);
	}

	@Test
	void theStoreNeverSeesTheTokenItself() {
		String token = issued(this.tokens.issue("alice", "/orders"));
		assertThat(this.store.inspect(this.keys.key(KeyKind.TOKEN, "alice", "/orders", token))).isEmpty();
		assertThat(this.store.inspect(this.keys.key(KeyKind.TOKEN_OUTSTANDING, "alice", "/orders")).orElseThrow().owner())
			.isNotEqualTo(token)
			.hasSize(64);
	}

	@Test
	void replaceRevokesTheOutstandingToken() {
		SubmitTokens replacing = new SubmitTokens(this.store, this.keys, TTL, Duration.ofMinutes(5), true);
		String first = issued(replacing.issue("alice", "/orders"));
		String second = issued(replacing.issue("alice", "/orders"));
		assertThat(second).isNotEqualTo(first);
		assertThat(replacing.consume("alice", "/orders", first)).isEqualTo(Consumption.UNKNOWN);
		assertThat(replacing.consume("alice", "/orders", second)).isEqualTo(Consumption.CONSUMED);
	}

	@Test
	void aFailureToStoreTheTokenEntryLeavesNoOutstandingMark() {
		AtomicInteger claims = new AtomicInteger();
		DedupStore failingSecondClaim = new DedupStore() {

			@Override
			public ClaimResult claim(String key, String owner, Duration lease) {
				if (claims.incrementAndGet() == 2) {
					throw new DedupStoreException("connection reset");
				}
				return SubmitTokensTests.this.store.claim(key, owner, lease);
			}

			@Override
			public boolean complete(String key, String owner, Duration retention, byte @Nullable [] result) {
				return SubmitTokensTests.this.store.complete(key, owner, retention, result);
			}

			@Override
			public boolean release(String key, String owner) {
				return SubmitTokensTests.this.store.release(key, owner);
			}

			@Override
			public boolean renew(String key, String owner, Duration lease) {
				return SubmitTokensTests.this.store.renew(key, owner, lease);
			}

			@Override
			public Optional<StoredEntry> inspect(String key) {
				return SubmitTokensTests.this.store.inspect(key);
			}

		};
		SubmitTokens flaky = new SubmitTokens(failingSecondClaim, this.keys, TTL, Duration.ofMinutes(5), false);
		assertThatExceptionOfType(DedupStoreException.class)
			.isThrownBy(() -> flaky.issue("alice", "/orders"));
		assertThat(flaky.issue("alice", "/orders")).isInstanceOf(Issue.Issued.class);
	}

	private static String issued(Issue issue) {
		assertThat(issue).isInstanceOf(Issue.Issued.class);
		return ((Issue.Issued) issue).token();
	}

}
