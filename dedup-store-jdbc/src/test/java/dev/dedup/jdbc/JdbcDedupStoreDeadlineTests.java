package dev.dedup.jdbc;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import dev.dedup.core.store.ClaimResult;
import dev.dedup.core.store.DedupStoreException;
import dev.dedup.test.services.FreezableProxy;
import dev.dedup.test.services.TestDatabase;
import dev.dedup.test.services.TestMariaDb;
import dev.dedup.test.services.TestPostgres;

import static dev.dedup.core.store.ClaimOutcome.ACQUIRED;
import static dev.dedup.core.store.ClaimOutcome.IN_PROGRESS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * A database that hangs: the shared server is reached through a {@link FreezableProxy}, which stops passing
 * bytes while the connections stay open. The drivers' own defaults would wait forever; each step of the
 * store gives up after its 500 ms timeout, and the same store works once the database answers again.
 */
class JdbcDedupStoreDeadlineTests {

	private static final Duration STORE_TIMEOUT = Duration.ofMillis(500);

	private static final Duration LEASE = Duration.ofSeconds(30);

	enum Database {

		MARIADB(JdbcDialect.MYSQL) {
			@Override
			TestDatabase server() {
				return TestMariaDb.get();
			}
		},

		POSTGRESQL(JdbcDialect.POSTGRESQL) {
			@Override
			TestDatabase server() {
				return TestPostgres.get();
			}
		};

		final JdbcDialect dialect;

		Database(JdbcDialect dialect) {
			this.dialect = dialect;
		}

		abstract TestDatabase server();

	}

	@ParameterizedTest
	@EnumSource(Database.class)
	void everyStepOfAHungDatabaseFailsWithinTheStoreTimeoutAndTheStoreWorksOnceItAnswers(Database database) {
		TestDatabase server = database.server();
		TableName table = TestTables.unique(getClass());
		try (FreezableProxy proxy = new FreezableProxy(server.host(), server.port());
				HikariDataSource dataSource = pool(server.jdbcUrl().replace(server.host() + ":" + server.port(),
						"127.0.0.1:" + proxy.port()))) {
			JdbcDedupMigrations.migrate(dataSource, database.dialect, table);
			JdbcDedupStore store = new JdbcDedupStore(dataSource, database.dialect, table, false, STORE_TIMEOUT);
			String held = "deadline:" + UUID.randomUUID();
			assertThat(store.claim(held, "a", LEASE).outcome()).isEqualTo(ACQUIRED);
			String polled = "deadline:" + UUID.randomUUID();
			String poll = UUID.randomUUID().toString();
			assertThat(store.claimPoll(List.of(polled), poll, LEASE, LEASE)).containsOnly(ClaimResult.acquired());
			try {
				proxy.freeze();
				assertFailsWithinTheDeadline(() -> store.claim("deadline:" + UUID.randomUUID(), "a", LEASE));
				assertFailsWithinTheDeadline(
						() -> store.claimAll(List.of("deadline:" + UUID.randomUUID(), held), "a", LEASE));
				assertFailsWithinTheDeadline(() -> store.renew(held, "a", LEASE));
				assertFailsWithinTheDeadline(() -> store.completeAll(List.of(held), "a", LEASE));
				assertFailsWithinTheDeadline(
						() -> store.claimPoll(List.of("deadline:" + UUID.randomUUID()), UUID.randomUUID().toString(),
								LEASE, LEASE));
				assertFailsWithinTheDeadline(() -> store.completePoll(List.of(polled), poll, LEASE));
				assertFailsWithinTheDeadline(() -> store.inspect(held));
			}
			finally {
				proxy.thaw();
			}
			await("the store to work again").atMost(Duration.ofSeconds(20))
				.pollInterval(Duration.ofMillis(200))
				.ignoreException(DedupStoreException.class)
				.until(() -> store.inspect(held).isPresent());
			assertThat(store.claim(held, "b", LEASE).outcome()).as("the claim made before the hang holds")
				.isEqualTo(IN_PROGRESS);
		}
		finally {
			try (HikariDataSource direct = TestTables.pool(server.jdbcUrl())) {
				TestTables.drop(direct, table);
			}
		}
	}

	private static HikariDataSource pool(String url) {
		HikariConfig config = new HikariConfig();
		config.setJdbcUrl(url);
		config.setMaximumPoolSize(4);
		// The pool's own wait for a connection is its setting, not the store's: keep it short here too.
		config.setConnectionTimeout(STORE_TIMEOUT.toMillis() + 250);
		config.setValidationTimeout(250);
		return new HikariDataSource(config);
	}

	private static void assertFailsWithinTheDeadline(ThrowingCallable step) {
		long start = System.nanoTime();
		// Preemptive, so a step that hangs fails the test instead of stalling the build.
		assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThatExceptionOfType(DedupStoreException.class)
			.isThrownBy(step)
			.withMessageStartingWith("JDBC dedup store could not"));
		Duration took = Duration.ofNanos(System.nanoTime() - start);
		assertThat(took).as("time to fail").isLessThan(STORE_TIMEOUT.plusSeconds(1));
	}

}
