package dev.dedup.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.dedup.core.store.ClaimOutcome;
import dev.dedup.core.store.ClaimResult;
import dev.dedup.core.store.DedupStore;
import dev.dedup.core.store.ForeignEntryException;
import dev.dedup.test.DedupStoreContractTests;
import dev.dedup.test.services.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

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
