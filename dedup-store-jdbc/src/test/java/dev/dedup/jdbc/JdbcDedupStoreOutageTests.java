package dev.dedup.jdbc;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.h2.tools.Server;
import org.junit.jupiter.api.Test;

import dev.dedup.core.store.ClaimResult;
import dev.dedup.core.store.DedupStoreException;
import dev.dedup.test.services.Ports;

import static dev.dedup.core.store.ClaimOutcome.ACQUIRED;
import static dev.dedup.core.store.ClaimOutcome.IN_PROGRESS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * The database down, then back, without touching the shared servers: an H2 TCP server of this test, on a
 * file database, stopped and started on the same port. Every step fails fast with DedupStoreException while
 * it is down, and the same store (same pool) works once it is back, with nothing lost.
 */
class JdbcDedupStoreOutageTests {

	private static final Duration LEASE = Duration.ofSeconds(30);

	@Test
	void everyStepFailsWhileTheDatabaseIsDownAndTheSameStoreWorksWhenItIsBack() throws Exception {
		Path directory = Files.createTempDirectory("dedup-h2-outage");
		int port = Ports.freePort();
		Server server = start(directory, port);
		HikariConfig config = new HikariConfig();
		config.setJdbcUrl("jdbc:h2:tcp://127.0.0.1:" + port + "/dedup");
		config.setConnectionTimeout(500);
		config.setMaximumPoolSize(2);
		try (HikariDataSource dataSource = new HikariDataSource(config)) {
			TableName table = TableName.of("dedup_record");
			JdbcDedupMigrations.migrate(dataSource, JdbcDialect.H2, table);
			JdbcDedupStore store = new JdbcDedupStore(dataSource, JdbcDialect.H2, table, true);
			String key = "outage:" + UUID.randomUUID();
			assertThat(store.claim(key, "a", LEASE).outcome()).isEqualTo(ACQUIRED);

			server.stop();
			assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
				assertThatExceptionOfType(DedupStoreException.class).isThrownBy(() -> store.claim(key, "b", LEASE));
				assertThatExceptionOfType(DedupStoreException.class)
					.isThrownBy(() -> store.claimAll(List.of(key, "other"), "b", LEASE));
				assertThatExceptionOfType(DedupStoreException.class)
					.isThrownBy(() -> store.complete(key, "a", LEASE, null));
				assertThatExceptionOfType(DedupStoreException.class).isThrownBy(() -> store.renew(key, "a", LEASE));
			});

			server = start(directory, port);
			// Hikari evicts a broken connection when a check finds it dead; it checks one idle for over 500 ms
			// (H2's "connection broken" is not one of the SQL states it evicts on by itself).
			await("the store to work again").atMost(Duration.ofSeconds(20))
				.pollInterval(Duration.ofMillis(700))
				.ignoreException(DedupStoreException.class)
				.until(() -> !store.renew("probe", "probe", LEASE));
			assertThat(store.claim(key, "b", LEASE).outcome()).as("the claim made before the outage holds")
				.isEqualTo(IN_PROGRESS);
			assertThat(store.complete(key, "a", LEASE, new byte[] { 3 })).isTrue();
			assertThat(store.claim(key, "b", LEASE)).isEqualTo(ClaimResult.duplicate(new byte[] { 3 }));
		}
		finally {
			server.stop();
		}
	}

	private static Server start(Path directory, int port) throws Exception {
		return Server.createTcpServer("-tcpPort", Integer.toString(port), "-baseDir", directory.toString(),
				"-ifNotExists")
			.start();
	}

}
