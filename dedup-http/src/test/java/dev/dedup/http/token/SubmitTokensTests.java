package dev.dedup.http.token;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import dev.dedup.core.store.InMemoryDedupStore;
import dev.dedup.http.HttpKeys;
import dev.dedup.http.token.SubmitTokens.Consumption;
import dev.dedup.http.token.SubmitTokens.Issue;
import dev.dedup.test.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;

class SubmitTokensTests {

	private static final Duration TTL = Duration.ofMinutes(10);

	private final MutableClock clock = new MutableClock();

	private final InMemoryDedupStore store = new InMemoryDedupStore(this.clock);

	private final HttpKeys keys = new HttpKeys("dedup", 512);

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
		assertThat(this.store.inspect(this.keys.key("token", "alice", "/orders", token))).isEmpty();
		assertThat(this.store.inspect(this.keys.key("token-outstanding", "alice", "/orders")).orElseThrow().owner())
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

	private static String issued(Issue issue) {
		assertThat(issue).isInstanceOf(Issue.Issued.class);
		return ((Issue.Issued) issue).token();
	}

}
