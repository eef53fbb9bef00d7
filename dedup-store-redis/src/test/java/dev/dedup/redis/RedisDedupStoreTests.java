package dev.dedup.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.dedup.core.store.ClaimOutcome;
import dev.dedup.core.store.ClaimResult;
import dev.dedup.core.store.DedupStore;
import dev.dedup.core.store.DedupStoreException;
import dev.dedup.core.store.ForeignEntryException;
import dev.dedup.core.store.StoredEntry;
import dev.dedup.test.DedupStoreContractTests;
import dev.dedup.test.services.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/** The store contract on the Redis that {@link TestRedis} finds, plus the documented key layout. */
class RedisDedupStoreTests extends DedupStoreContractTests {

	private static LettuceConnectionFactory factory;

	private static RedisDedupStore store;

	@BeforeAll
	static void connect() {
		factory = LettuceFactories.start(TestRedis.get().url(), Duration.ofSeconds(5));
		store = new RedisDedupStore(factory);
	}

	@AfterAll
	static void disconnect() {
		factory.destroy();
	}

	@Override
	protected DedupStore store() {
		return store;
	}

	@Test
	void entryIsOneStringUnderTheKeyItselfWithStateOwnerOrResultAndTtl() {
		String key = key("layout");
		StringRedisTemplate redis = new StringRedisTemplate(factory);
		store.claim(key, "owner-a", Duration.ofSeconds(30));
		assertThat(redis.opsForValue().get(key)).isEqualTo("\0Cowner-a");
		assertThat(redis.getExpire(key)).isBetween(1L, 30L);

		store.complete(key, "owner-a", Duration.ofMinutes(5), "done".getBytes(StandardCharsets.UTF_8));
		assertThat(redis.opsForValue().get(key)).isEqualTo("\0Rdone");
		assertThat(redis.getExpire(key)).isBetween(31L, 300L);

		String plain = key("layout-plain");
		store.claim(plain, "owner-a", Duration.ofSeconds(30));
		store.complete(plain, "owner-a", Duration.ofMinutes(5), null);
		assertThat(redis.opsForValue().get(plain)).isEqualTo("\0D");
	}

	/** A poll's keys point to its row, and marking them all is one write of that row: the keys do not change. */
	@Test
	void aPollsKeysPointToItsRowWhichHoldsTheirLeaseAndThenTheirMarkInOneWrite() {
		List<String> keys = List.of(key("poll-layout-1"), key("poll-layout-2"), key("poll-layout-3"));
		String owner = "poll-owner-" + System.nanoTime();
		PollRow row = PollRow.of(owner);
		assertThat(store.completesPollsInOneWrite()).isTrue();

		assertThat(store.claimPoll(keys, owner, Duration.ofSeconds(30), Duration.ofMinutes(5)))
			.containsOnly(ClaimResult.acquired());
		try (RedisConnection redis = factory.getConnection()) {
			for (String key : keys) {
				assertThat(redis.stringCommands().get(bytes(key))).isEqualTo(row.keyValue());
				// The lease plus the retention: a key is kept for its retention by its own expiry.
				assertThat(redis.keyCommands().pTtl(bytes(key))).isBetween(300_000L, 330_000L);
			}
			assertThat(redis.stringCommands().get(row.key())).isEqualTo(bytes("\0C" + owner));
			assertThat(redis.keyCommands().pTtl(row.key())).isBetween(1L, 30_000L);

			assertThat(store.completePoll(keys, owner, Duration.ofMinutes(10))).containsExactly(true, true, true);
			assertThat(redis.stringCommands().get(row.key())).isEqualTo(bytes("\0D"));
			assertThat(redis.keyCommands().pTtl(row.key())).isBetween(300_000L, 600_000L);
			for (String key : keys) {
				assertThat(redis.stringCommands().get(bytes(key))).isEqualTo(row.keyValue());
			}
		}
		assertThat(store.claimAll(keys, "owner-b", Duration.ofSeconds(30))).extracting(ClaimResult::outcome)
			.containsOnly(ClaimOutcome.DUPLICATE);
		assertThat(store.inspect(keys.get(0))).hasValueSatisfying(entry -> {
			assertThat(entry.state()).isEqualTo(StoredEntry.State.CONSUMED);
			assertThat(entry.remainingTtl()).isBetween(Duration.ofMinutes(4), Duration.ofMinutes(6));
		});
	}

	@Test
	void aPollThatAcquiresNothingLeavesNoRow() {
		String key = key("poll-of-duplicates");
		assertThat(store.claim(key, "owner-a", Duration.ofSeconds(30)).outcome()).isEqualTo(ClaimOutcome.ACQUIRED);
		String owner = "poll-owner-" + System.nanoTime();

		assertThat(store.claimPoll(List.of(key), owner, Duration.ofSeconds(30), Duration.ofMinutes(5)))
			.extracting(ClaimResult::outcome)
			.containsExactly(ClaimOutcome.IN_PROGRESS);
		try (RedisConnection redis = factory.getConnection()) {
			assertThat(redis.keyCommands().exists(PollRow.of(owner).key())).isFalse();
		}
	}

	/** Two owners whose poll ids collide (never seen: 96 bits): the second poll fails and writes no key. */
	@Test
	void aPollWhoseRowBelongsToAnotherOwnerFailsAndWritesNothing() {
		String owner = "poll-owner-" + System.nanoTime();
		String key = key("poll-row-taken");
		try (RedisConnection redis = factory.getConnection()) {
			redis.stringCommands().set(PollRow.of(owner).key(), bytes("\0Csomeone-else"));
			redis.keyCommands().pExpire(PollRow.of(owner).key(), 30_000);
		}

		assertThatExceptionOfType(DedupStoreException.class)
			.isThrownBy(() -> store.claimPoll(List.of(key), owner, Duration.ofSeconds(30), Duration.ofMinutes(5)))
			.withMessageContaining("belongs to another owner");
		assertThat(store.inspect(key)).isEmpty();
	}

	private static byte[] bytes(String value) {
		return value.getBytes(StandardCharsets.UTF_8);
	}

	/** Entries written by dedup 0.1 (one hash per key) are read after an upgrade: nothing runs twice. */
	@Test
	void entriesOfTheEarlierHashLayoutAreStillRead() {
		StringRedisTemplate redis = new StringRedisTemplate(factory);
		String consumed = key("legacy-consumed");
		redis.opsForHash().putAll(consumed, Map.of("s", "D", "r", "done"));
		redis.expire(consumed, Duration.ofMinutes(5));
		String consuming = key("legacy-consuming");
		redis.opsForHash().putAll(consuming, Map.of("s", "C", "o", "old-owner"));
		redis.expire(consuming, Duration.ofSeconds(30));

		List<ClaimResult> claims = store.claimAll(List.of(consumed, consuming), "owner-a", Duration.ofSeconds(30));

		assertThat(claims.get(0).outcome()).isEqualTo(ClaimOutcome.DUPLICATE);
		assertThat(claims.get(0).result()).asString(StandardCharsets.UTF_8).isEqualTo("done");
		assertThat(claims.get(1).outcome()).isEqualTo(ClaimOutcome.IN_PROGRESS);
		assertThat(claims.get(1).remainingLease()).isPositive();
		assertThat(store.inspect(consumed)).hasValueSatisfying(entry -> assertThat(entry.result()).isNotNull());
		assertThat(store.inspect(consuming)).hasValueSatisfying(entry -> assertThat(entry.owner()).isEqualTo("old-owner"));
	}

	@Test
	void keepsWorkingAfterTheFactoryReplacesItsSharedConnection() {
		LettuceConnectionFactory own = LettuceFactories.start(TestRedis.get().url(), Duration.ofSeconds(5));
		try {
			RedisDedupStore reset = new RedisDedupStore(own);
			String key = key("reset");
			assertThat(reset.claim(key, "owner-a", Duration.ofSeconds(30)).outcome()).isEqualTo(ClaimOutcome.ACQUIRED);
			own.resetConnection(); // closes the shared connection the runner holds on to
			assertThat(reset.complete(key, "owner-a", Duration.ofMinutes(5), null)).isTrue();
			assertThat(reset.claim(key, "owner-b", Duration.ofSeconds(30)).outcome()).isEqualTo(ClaimOutcome.DUPLICATE);
		}
		finally {
			own.destroy();
		}
	}

	@Test
	void anEntryDedupDidNotWriteIsNamedAndLeftAlone() {
		StringRedisTemplate redis = new StringRedisTemplate(factory);
		String string = key("foreign-string");
		redis.opsForValue().set(string, "someone else's", Duration.ofMinutes(1));
		String hash = key("foreign-hash");
		redis.opsForHash().put(hash, "s", "X");
		redis.expire(hash, Duration.ofMinutes(1));

		assertThatExceptionOfType(ForeignEntryException.class)
			.isThrownBy(() -> store.claim(string, "owner-a", Duration.ofSeconds(30)))
			.withMessageContaining("'" + string + "'")
			.withMessageContaining("a string")
			.satisfies((ex) -> assertThat(ex.key()).isEqualTo(string));
		assertThatExceptionOfType(ForeignEntryException.class)
			.isThrownBy(() -> store.claim(hash, "owner-a", Duration.ofSeconds(30)))
			.withMessageContaining("a hash with state X");
		assertThat(redis.opsForValue().get(string)).isEqualTo("someone else's");
		assertThat(redis.<String, String>opsForHash().entries(hash)).isEqualTo(Map.of("s", "X"));
	}

	@Test
	void aBatchWithAForeignEntryFailsAndGivesTheOtherKeysBack() {
		StringRedisTemplate redis = new StringRedisTemplate(factory);
		String foreign = key("foreign-in-batch");
		redis.opsForList().leftPush(foreign, "x");
		redis.expire(foreign, Duration.ofMinutes(1));
		String before = key("before");
		String after = key("after");

		assertThatExceptionOfType(ForeignEntryException.class)
			.isThrownBy(() -> store.claimAll(List.of(before, foreign, after), "owner-a", Duration.ofSeconds(30)))
			.withMessageContaining("'" + foreign + "'")
			.withMessageContaining("a list");
		assertThat(store.claimAll(List.of(before, after), "owner-b", Duration.ofSeconds(30)))
			.as("the other keys of the failed batch are free at once")
			.extracting(ClaimResult::outcome)
			.containsOnly(ClaimOutcome.ACQUIRED);
	}

	@Test
	void maxKeyLengthIs512Bytes() {
		assertThat(store.maxKeyLength()).isEqualTo(512);
	}

}
