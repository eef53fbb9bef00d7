package dev.dedup.jdbc;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TimeZone;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import dev.dedup.core.key.DedupKeys;
import dev.dedup.core.store.ClaimResult;
import dev.dedup.core.store.DedupStore;
import dev.dedup.core.store.DedupStoreException;
import dev.dedup.test.DedupStoreContractTests;
import dev.dedup.test.services.Ports;

import static dev.dedup.core.store.ClaimOutcome.ACQUIRED;
import static dev.dedup.core.store.ClaimOutcome.DUPLICATE;
import static dev.dedup.core.store.ClaimOutcome.IN_PROGRESS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * The store contract, plus what is particular to the SQL table, on one real database per subclass: the
 * migrated layout, database time whatever the session's time zone, purge, key sizes, an unreachable
 * database, and the transactional mode. Each subclass works on a table of its own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class JdbcDedupStoreTests extends DedupStoreContractTests {

	private static final Duration LONG = Duration.ofSeconds(30);

	protected HikariDataSource dataSource;

	protected TableName table;

	protected JdbcDedupStore store;

	protected JdbcTemplate jdbc;

	/** The database's JDBC URL, with its credentials. */
	protected abstract String jdbcUrl();

	protected abstract JdbcDialect dialect();

	/** A URL of this vendor for a port where nothing listens. */
	protected abstract String unreachableUrl(int port);

	/** SQL that sets the session time zone to {@code offset}, e.g. {@code +13:00}. */
	protected abstract String setSessionTimeZone(String offset);

	@BeforeAll
	void createTable() {
		this.table = TestTables.unique(getClass());
		this.dataSource = TestTables.pool(jdbcUrl());
		assertThat(JdbcDedupMigrations.migrate(this.dataSource, dialect(), this.table)).isEqualTo(1);
		this.store = new JdbcDedupStore(this.dataSource, dialect(), this.table, true);
		this.jdbc = new JdbcTemplate(this.dataSource);
	}

	@AfterAll
	void dropTable() {
		TestTables.drop(this.dataSource, this.table);
		this.dataSource.close();
	}

	@Override
	protected DedupStore store() {
		return this.store;
	}

	@Test
	void migrationRecordedItselfInItsOwnHistoryTableAndRunsOnlyOnce() {
		// Flyway quotes the names it creates: H2 then keeps them lower case.
		String q = dialect() == JdbcDialect.H2 ? "\"" : "";
		assertThat(this.jdbc.queryForObject("SELECT COUNT(*) FROM " + q + this.table.historyTable() + q + " WHERE "
				+ q + "version" + q + " = '1' AND " + q + "success" + q + " = "
				+ (dialect() == JdbcDialect.MYSQL ? "1" : "TRUE"),
				Integer.class)).isEqualTo(1);
		assertThat(JdbcDedupMigrations.migrate(this.dataSource, dialect(), this.table)).isZero();
	}

	@Test
	void rowsCarryStateOwnerExpiryAndResultAsDocumented() {
		String key = key("layout");
		this.store.claim(key, "owner-a", LONG);
		assertThat(row(key, "state")).isEqualTo("C");
		assertThat(text(row(key, "owner"))).isEqualTo("owner-a");
		assertThat(secondsLeft(key)).isBetween(25L, 30L);

		this.store.complete(key, "owner-a", Duration.ofHours(2), "done".getBytes(StandardCharsets.UTF_8));
		assertThat(row(key, "state")).isEqualTo("D");
		assertThat(row(key, "owner")).isNull();
		assertThat((byte[]) row(key, "result")).asString(StandardCharsets.UTF_8).isEqualTo("done");
		assertThat(secondsLeft(key)).isBetween(7100L, 7200L);
	}

	@Test
	void anIdOfAnyLengthIsHashedIntoTheKeyColumnAndStillDeduplicated() {
		DedupKeys keys = new DedupKeys("dedup", this.store.maxKeyLength());
		String huge = "x".repeat(10_000);
		String key = keys.kafka("group-" + getClass().getSimpleName(), huge + System.nanoTime());
		assertThat(key.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(JdbcDedupStore.MAX_KEY_LENGTH);
		assertThat(key).contains(":sha256:");
		assertThat(this.store.claim(key, "a", LONG).outcome()).isEqualTo(ACQUIRED);
		assertThat(this.store.complete(key, "a", LONG, null)).isTrue();
		assertThat(this.store.claim(key, "b", LONG).outcome()).isEqualTo(DUPLICATE);

		// Four-byte characters right up to the limit stay unhashed and intact.
		String emoji = keys.kafka("g", "😀".repeat(100) + System.nanoTime());
		assertThat(emoji).doesNotContain("sha256");
		assertThat(this.store.claim(emoji, "a", LONG).outcome()).isEqualTo(ACQUIRED);
		assertThat(text(row(emoji, "dedup_key"))).isEqualTo(emoji);
	}

	@Test
	void aKeyLongerThanTheColumnIsRefusedBeforeTheDatabaseCouldTruncateIt() {
		String tooLong = key("long") + "x".repeat(JdbcDedupStore.MAX_KEY_LENGTH);
		assertThatIllegalArgumentException().isThrownBy(() -> this.store.claim(tooLong, "a", LONG))
			.withMessageContaining("DedupKeys");
		assertThat(this.store.complete(tooLong, "a", LONG, null)).isFalse();
	}

	@Test
	void theKeyColumnHoldsExactlyMaxKeyLengthBytes() {
		String exact = "k".repeat(JdbcDedupStore.MAX_KEY_LENGTH - 40) + System.nanoTime();
		exact = exact + "z".repeat(JdbcDedupStore.MAX_KEY_LENGTH - exact.length());
		assertThat(this.store.claim(exact, "a", LONG).outcome()).isEqualTo(ACQUIRED);
		String over = exact + "z";
		assertThatExceptionOfType(Exception.class).as("the database itself refuses %d bytes", over.length())
			.isThrownBy(() -> this.jdbc.update("INSERT INTO " + this.table + " (dedup_key, state, expires_at, "
					+ "created_at, updated_at) VALUES (?, 'D', " + now() + ", " + now() + ", " + now() + ")",
					param(over)));
	}

	@Test
	void expiryIsMeasuredOnTheDatabaseClockWhateverTheSessionOrJvmTimeZone() {
		TimeZone jvmZone = TimeZone.getDefault();
		try (HikariDataSource east = TestTables.pool(jdbcUrl(), setSessionTimeZone("+13:00"));
				HikariDataSource west = TestTables.pool(jdbcUrl(), setSessionTimeZone("-11:00"))) {
			JdbcDedupStore eastStore = new JdbcDedupStore(east, dialect(), this.table, false);
			JdbcDedupStore westStore = new JdbcDedupStore(west, dialect(), this.table, false);
			String key = key("time-zones");
			TimeZone.setDefault(TimeZone.getTimeZone("Pacific/Kiritimati"));
			assertThat(eastStore.claim(key, "east", Duration.ofSeconds(3)).outcome()).isEqualTo(ACQUIRED);
			TimeZone.setDefault(TimeZone.getTimeZone("Pacific/Pago_Pago"));
			ClaimResult seenFromWest = westStore.claim(key, "west", LONG);
			// 24 hours apart in both session and JVM zones, the two agree to the second.
			assertThat(seenFromWest.outcome()).isEqualTo(IN_PROGRESS);
			assertThat(seenFromWest.remainingLease()).isPositive().isLessThanOrEqualTo(Duration.ofSeconds(3));
			letStoreTimePass(Duration.ofSeconds(3));
			assertThat(westStore.claim(key, "west", LONG).outcome()).isEqualTo(ACQUIRED);
			assertThat(eastStore.complete(key, "east", LONG, null)).as("east's lease ran out").isFalse();
		}
		finally {
			TimeZone.setDefault(jvmZone);
		}
	}

	@Test
	void purgeDeletesExpiredRowsInBoundedBatchesAndKeepsLiveOnes() {
		String prefix = key("purge");
		List<String> shortLived = new ArrayList<>();
		for (int i = 0; i < 1200; i++) {
			shortLived.add(prefix + ":short:" + i);
		}
		List<String> live = List.of(prefix + ":live:1", prefix + ":live:2", prefix + ":live:3");
		// Half consumed with a short retention, half consuming with a short lease; claimed with a long lease
		// first so that a slow machine cannot let a lease run out before the completion.
		assertThat(this.store.claimAll(shortLived.subList(0, 600), "p", LONG)).containsOnly(ClaimResult.acquired());
		assertThat(this.store.completeAll(shortLived.subList(0, 600), "p", Duration.ofMillis(200))).containsOnly(true);
		assertThat(this.store.claimAll(shortLived.subList(600, 1200), "p", Duration.ofMillis(200)))
			.containsOnly(ClaimResult.acquired());
		this.store.claimAll(live, "p", LONG);
		assertThat(countLike(prefix)).isEqualTo(1203);
		letStoreTimePass(Duration.ofMillis(200));

		assertThat(this.store.purgeExpired(500)).as("one batch").isEqualTo(500);
		JdbcDedupPurger purger = new JdbcDedupPurger(this.store, Duration.ofMinutes(1), 500);
		assertThat(purger.purgeNow()).isGreaterThanOrEqualTo(700);
		assertThat(countLike(prefix)).isEqualTo(3);
		assertThat(this.store.claimAll(live, "q", LONG)).extracting(ClaimResult::outcome).containsOnly(IN_PROGRESS);
	}

	/**
	 * A key of a poll lives by its poll's row on MySQL, MariaDB and PostgreSQL: its own expiry only tells the
	 * purge when to look at that row. On H2 each key has its own row, and the same holds.
	 */
	@Test
	void purgeKeepsTheKeysOfARunningOrConsumedPollPastTheirOwnExpiryAndDeletesThoseOfALapsedOne() {
		String prefix = key("purge-polls");
		Duration brief = Duration.ofMillis(200);
		// Long enough that a slow machine completes or renews its poll in time; the key rows' own expiry.
		Duration lease = Duration.ofSeconds(2);
		List<String> running = List.of(prefix + ":running");
		List<String> consumed = List.of(prefix + ":consumed:1", prefix + ":consumed:2");
		List<String> lapsed = List.of(prefix + ":lapsed:1", prefix + ":lapsed:2");
		assertThat(this.store.claimPoll(running, "running-poll", lease, brief)).containsOnly(ClaimResult.acquired());
		assertThat(this.store.renew(running.get(0), "running-poll", LONG)).isTrue();
		assertThat(this.store.claimPoll(consumed, "consumed-poll", lease, brief)).containsOnly(ClaimResult.acquired());
		assertThat(this.store.completePoll(consumed, "consumed-poll", LONG)).containsOnly(true);
		assertThat(this.store.claimPoll(lapsed, "lapsed-poll", brief, brief)).containsOnly(ClaimResult.acquired());
		letStoreTimePass(lease);

		new JdbcDedupPurger(this.store, Duration.ofMinutes(1), 500).purgeNow();

		assertThat(countLike(prefix)).isEqualTo(3);
		assertThat(this.store.claim(consumed.get(1), "q", LONG).outcome()).isEqualTo(DUPLICATE);
		assertThat(this.store.claimAll(List.of(running.get(0), consumed.get(0), lapsed.get(0)), "q", LONG))
			.extracting(ClaimResult::outcome)
			.containsExactly(IN_PROGRESS, DUPLICATE, ACQUIRED);
	}

	@Test
	void anUnreachableDatabaseFailsEveryStepWithDedupStoreExceptionInBoundedTime() {
		HikariConfig config = new HikariConfig();
		config.setJdbcUrl(unreachableUrl(Ports.freePort()));
		config.setConnectionTimeout(500);
		config.setInitializationFailTimeout(-1);
		try (HikariDataSource down = new HikariDataSource(config)) {
			JdbcDedupStore unreachable = new JdbcDedupStore(down, dialect(), this.table, true);
			String key = key("down");
			assertFailsInTime(() -> unreachable.claim(key, "a", LONG));
			assertFailsInTime(() -> unreachable.claimAll(List.of(key, key("down-2")), "a", LONG));
			assertFailsInTime(() -> unreachable.complete(key, "a", LONG, null));
			assertFailsInTime(() -> unreachable.completeAll(List.of(key), "a", LONG));
			assertFailsInTime(() -> unreachable.claimPoll(List.of(key, key("down-2")), "down-poll", LONG, LONG));
			assertFailsInTime(() -> unreachable.completePoll(List.of(key), "down-poll", LONG));
			assertFailsInTime(() -> unreachable.release(key, "a"));
			assertFailsInTime(() -> unreachable.renew(key, "a", LONG));
			assertFailsInTime(() -> unreachable.purgeExpired(10));
		}
	}

	@Test
	void inATransactionOnItsDataSourceTheClaimCommitsWithTheCallersWorkAndADuplicateWaitsForIt() throws Exception {
		String key = key("tx-commit");
		TransactionTemplate tx = new TransactionTemplate(new DataSourceTransactionManager(this.dataSource));
		CompletableFuture<ClaimResult> duplicate = tx.execute(status -> {
			assertThat(this.store.joinsCurrentTransaction()).isTrue();
			assertThat(this.store.claim(key, "tx-owner", LONG)).isEqualTo(ClaimResult.acquired());
			CompletableFuture<ClaimResult> other = CompletableFuture.supplyAsync(() -> this.store.claim(key, "other",
					LONG));
			assertThat(other).as("another consumer waits on the uncommitted row").isNotCompleted();
			sleep(300);
			assertThat(other).isNotCompleted();
			assertThat(this.store.renew(key, "tx-owner", LONG)).isTrue();
			assertThat(this.store.complete(key, "tx-owner", LONG, new byte[] { 5 })).isTrue();
			return other;
		});
		assertThat(this.store.joinsCurrentTransaction()).isFalse();
		assertThat(duplicate.get(20, TimeUnit.SECONDS)).isEqualTo(ClaimResult.duplicate(new byte[] { 5 }));
	}

	@Test
	void inATransactionThatRollsBackTheClaimLeavesNoRowAndTheWaitingDuplicateAcquires() throws Exception {
		String key = key("tx-rollback");
		TransactionTemplate tx = new TransactionTemplate(new DataSourceTransactionManager(this.dataSource));
		CompletableFuture<ClaimResult> waiting = tx.execute(status -> {
			assertThat(this.store.claim(key, "tx-owner", LONG)).isEqualTo(ClaimResult.acquired());
			CompletableFuture<ClaimResult> other = CompletableFuture.supplyAsync(() -> this.store.claim(key, "other",
					LONG));
			sleep(300);
			status.setRollbackOnly();
			return other;
		});
		assertThat(waiting.get(20, TimeUnit.SECONDS)).isEqualTo(ClaimResult.acquired());
		assertThat(this.store.complete(key, "other", LONG, null)).isTrue();
		assertThat(this.store.claim(key, "third", LONG).outcome()).isEqualTo(DUPLICATE);
	}

	/**
	 * A batch whose first statement, outside a transaction, is an all-or-nothing INSERT that fails on a key
	 * with a row: inside the caller's transaction that failure would abort it (PostgreSQL), so it never runs.
	 */
	@Test
	void inATransactionABatchWithAKeyThatHasARowAnswersEachKeyAndTheCallersTransactionCommits() {
		String done = key("tx-batch-done");
		String fresh = key("tx-batch-new");
		this.store.claim(done, "earlier", LONG);
		this.store.complete(done, "earlier", LONG, null);
		TransactionTemplate tx = new TransactionTemplate(new DataSourceTransactionManager(this.dataSource));
		tx.executeWithoutResult(status -> {
			assertThat(this.store.claimAll(List.of(done, fresh), "tx-owner", LONG)).extracting(ClaimResult::outcome)
				.containsExactly(DUPLICATE, ACQUIRED);
			assertThat(this.store.complete(fresh, "tx-owner", LONG, null)).isTrue();
		});
		assertThat(this.store.claim(fresh, "other", LONG).outcome()).as("committed with the caller's work")
			.isEqualTo(DUPLICATE);
	}

	@Test
	void withoutTransactionalModeAClaimInsideATransactionCommitsAtOnce() {
		JdbcDedupStore independent = new JdbcDedupStore(this.dataSource, dialect(), this.table, false);
		String key = key("no-tx-mode");
		TransactionTemplate tx = new TransactionTemplate(new DataSourceTransactionManager(this.dataSource));
		tx.executeWithoutResult(status -> {
			assertThat(independent.joinsCurrentTransaction()).isFalse();
			assertThat(independent.claim(key, "a", LONG).outcome()).isEqualTo(ACQUIRED);
			assertThat(CompletableFuture.supplyAsync(() -> independent.claim(key, "b", LONG)).join().outcome())
				.as("visible to others before the caller's commit").isEqualTo(IN_PROGRESS);
			status.setRollbackOnly();
		});
		assertThat(independent.claim(key, "b", LONG).outcome()).as("not undone by the rollback")
			.isEqualTo(IN_PROGRESS);
	}

	protected String now() {
		return dialect().sql(this.table).now();
	}

	protected Object param(String text) {
		return dialect() == JdbcDialect.MYSQL ? text.getBytes(StandardCharsets.UTF_8) : text;
	}

	private Object row(String key, String column) {
		return this.jdbc.queryForObject("SELECT " + column + " FROM " + this.table + " WHERE dedup_key = ?",
				(rs, n) -> column.equals("state") ? rs.getString(1).trim() : rs.getObject(1), param(key));
	}

	private static String text(Object value) {
		return value instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : (String) value;
	}

	private long secondsLeft(String key) {
		TableSql sql = dialect().sql(this.table);
		return this.jdbc.queryForObject("SELECT " + sql.remainingMillis() + " FROM " + this.table
				+ " WHERE dedup_key = ?", Long.class, param(key)) / 1000;
	}

	private int countLike(String prefix) {
		try (Connection connection = this.dataSource.getConnection();
				PreparedStatement statement = connection
					.prepareStatement("SELECT COUNT(*) FROM " + this.table + " WHERE dedup_key LIKE ?")) {
			if (dialect() == JdbcDialect.MYSQL) {
				statement.setBytes(1, (prefix + "%").getBytes(StandardCharsets.UTF_8));
			}
			else {
				statement.setString(1, prefix + "%");
			}
			try (ResultSet rows = statement.executeQuery()) {
				rows.next();
				return rows.getInt(1);
			}
		}
		catch (SQLException ex) {
			throw new IllegalStateException(ex);
		}
	}

	private static void assertFailsInTime(ThrowingCallable step) {
		assertTimeoutPreemptively(Duration.ofSeconds(5),
				() -> assertThatExceptionOfType(DedupStoreException.class).isThrownBy(step)
					.withMessageStartingWith("JDBC dedup store could not"));
	}

	private static void sleep(long millis) {
		try {
			Thread.sleep(millis);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

}
