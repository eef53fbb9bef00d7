package dev.dedup.http.token;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.dedup.core.engine.DedupEngine;
import dev.dedup.core.engine.DedupEngineConfig;
import dev.dedup.core.engine.StoreFailurePolicy;
import dev.dedup.core.key.DedupKeys;
import dev.dedup.core.key.KeyKind;
import dev.dedup.core.store.ClaimResult;
import dev.dedup.core.store.DedupStore;
import dev.dedup.core.store.DedupStoreException;
import dev.dedup.core.store.ForwardingDedupStore;
import dev.dedup.core.store.InMemoryDedupStore;
import dev.dedup.core.store.StoreOperation;
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

	private final DedupEngine engine = new DedupEngine(this.store);

	private final SubmitTokens tokens = new SubmitTokens(this.engine, this.keys, TTL, Duration.ofMinutes(5), false);

	@AfterEach
	void closeEngine() {
		this.engine.close();
	}

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
		SubmitTokens replacing = new SubmitTokens(this.engine, this.keys, TTL, Duration.ofMinutes(5), true);
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
		try (DedupEngine flakyEngine = new DedupEngine(failingSecondClaim)) {
			SubmitTokens flaky = new SubmitTokens(flakyEngine, this.keys, TTL, Duration.ofMinutes(5), false);
			assertThatExceptionOfType(DedupStoreException.class)
				.isThrownBy(() -> flaky.issue("alice", "/orders"));
			assertThat(flaky.issue("alice", "/orders")).isInstanceOf(Issue.Issued.class);
		}
	}

	@Test
	void failClosedIssueAndConsumeThrowWhileTheStoreIsDown() {
		SwitchableStore store = new SwitchableStore(this.store);
		try (DedupEngine failClosed = new DedupEngine(store)) {
			SubmitTokens tokens = new SubmitTokens(failClosed, this.keys, TTL, Duration.ofMinutes(5), false);
			String token = issued(tokens.issue("alice", "/orders"));
			store.down = true;

			assertThatExceptionOfType(DedupStoreException.class).isThrownBy(() -> tokens.issue("bob", "/orders"));
			assertThatExceptionOfType(DedupStoreException.class)
				.isThrownBy(() -> tokens.consume("alice", "/orders", token));

			store.down = false;
			assertThat(tokens.consume("alice", "/orders", token)).as("the token outlived the outage")
				.isEqualTo(Consumption.CONSUMED);
		}
	}

	@Test
	void failOpenIssuesAnUnstoredTokenAndBypassesConsumeWhileTheStoreIsDown() {
		SwitchableStore store = new SwitchableStore(this.store);
		try (DedupEngine failOpen = new DedupEngine(store,
				DedupEngineConfig.custom().storeFailurePolicy(StoreFailurePolicy.FAIL_OPEN).build())) {
			SubmitTokens tokens = new SubmitTokens(failOpen, this.keys, TTL, Duration.ofMinutes(5), false);
			String stored = issued(tokens.issue("alice", "/orders"));
			store.down = true;

			String unstored = issued(tokens.issue("bob", "/orders"));
			assertThat(SubmitTokens.isWellFormed(unstored)).isTrue();
			assertThat(tokens.consume("bob", "/orders", unstored)).isEqualTo(Consumption.BYPASSED);
			assertThat(tokens.consume("alice", "/orders", stored)).isEqualTo(Consumption.BYPASSED);

			store.down = false;
			assertThat(tokens.consume("bob", "/orders", unstored)).as("nothing was stored for it")
				.isEqualTo(Consumption.UNKNOWN);
			assertThat(tokens.consume("alice", "/orders", stored)).as("the bypass did not use it up")
				.isEqualTo(Consumption.CONSUMED);
		}
	}

	@Test
	void failOpenIssueReleasesTheOutstandingMarkWhenTheTokenEntryCannotBeStored() {
		AtomicInteger claims = new AtomicInteger();
		SwitchableStore store = new SwitchableStore(this.store) {

			@Override
			protected <T> T around(StoreOperation operation, int keys, Supplier<T> step) {
				if (operation == StoreOperation.CLAIM && claims.incrementAndGet() == 2) {
					throw new DedupStoreException("connection reset");
				}
				return super.around(operation, keys, step);
			}

		};
		try (DedupEngine failOpen = new DedupEngine(store,
				DedupEngineConfig.custom().storeFailurePolicy(StoreFailurePolicy.FAIL_OPEN).build())) {
			SubmitTokens tokens = new SubmitTokens(failOpen, this.keys, TTL, Duration.ofMinutes(5), false);
			String unstored = issued(tokens.issue("alice", "/orders"));

			assertThat(this.store.inspect(this.keys.key(KeyKind.TOKEN_OUTSTANDING, "alice", "/orders"))).isEmpty();
			assertThat(tokens.consume("alice", "/orders", unstored)).isEqualTo(Consumption.UNKNOWN);
			assertThat(tokens.issue("alice", "/orders")).isInstanceOf(Issue.Issued.class);
		}
	}

	/** Passes every step to a real store, or throws while it is {@link #down}. */
	static class SwitchableStore extends ForwardingDedupStore {

		volatile boolean down;

		SwitchableStore(DedupStore store) {
			super(store);
		}

		@Override
		protected <T> T around(StoreOperation operation, int keys, Supplier<T> step) {
			if (this.down) {
				throw new DedupStoreException("injected: store down");
			}
			return step.get();
		}

	}

	private static String issued(Issue issue) {
		assertThat(issue).isInstanceOf(Issue.Issued.class);
		return ((Issue.Issued) issue).token();
	}

}
