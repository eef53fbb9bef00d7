package dev.dedup.test.services;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class TestDatabasesTests {

	@Test
	void resolvesAMariaDbThatGreets() {
		TestDatabase database = TestMariaDb.get();
		assertThat(DatabasePing.mysqlAnswers(database.host(), database.port(), Duration.ofSeconds(2))).isTrue();
		assertThat(database.jdbcUrl()).startsWith("jdbc:mysql://");
		assertThat(TestMariaDb.get()).as("resolved once").isSameAs(database);
	}

	@Test
	void resolvesAPostgresThatAnswers() {
		TestDatabase database = TestPostgres.get();
		assertThat(DatabasePing.postgresAnswers(database.host(), database.port(), Duration.ofSeconds(2))).isTrue();
		assertThat(database.jdbcUrl()).startsWith("jdbc:postgresql://");
	}

	@Test
	void aServerOfTheOtherProtocolDoesNotCount() {
		TestDatabase postgres = TestPostgres.get();
		TestDatabase mariaDb = TestMariaDb.get();
		assertThat(DatabasePing.mysqlAnswers(postgres.host(), postgres.port(), Duration.ofSeconds(2))).isFalse();
		assertThat(DatabasePing.postgresAnswers(mariaDb.host(), mariaDb.port(), Duration.ofSeconds(2))).isFalse();
	}

	@Test
	void takesHostPortAndUrlFromAConfiguredUrl() {
		TestDatabase database = TestMariaDb.resolve("jdbc:mysql://db.example:3307/app?user=u&password=p", 1);
		assertThat(database.host()).isEqualTo("db.example");
		assertThat(database.port()).isEqualTo(3307);
		assertThat(database.jdbcUrl()).isEqualTo("jdbc:mysql://db.example:3307/app?user=u&password=p");
		assertThat(database.jdbcUrl("useAffectedRows=true")).endsWith("&useAffectedRows=true");
		assertThat(TestPostgres.resolve("jdbc:postgresql://pg.example/app", 1).port()).isEqualTo(5432);
		assertThat(TestPostgres.resolve("jdbc:postgresql://pg.example/app", 1).jdbcUrl("a=b")).endsWith("/app?a=b");
	}

	@Test
	void refusesAConfiguredValueOfTheWrongKind() {
		assertThatExceptionOfType(AssertionError.class)
			.isThrownBy(() -> TestMariaDb.resolve("jdbc:postgresql://host/db", 1))
			.withMessageContaining(TestMariaDb.URL_VARIABLE);
		assertThatExceptionOfType(AssertionError.class).isThrownBy(() -> TestPostgres.resolve("localhost:5432", 1))
			.withMessageContaining(TestPostgres.URL_VARIABLE);
	}

	@Test
	void failsWithInstructionsWhenNoServerCanBeFound() {
		int nothingListens = Ports.freePort();
		assertThatExceptionOfType(AssertionError.class).isThrownBy(() -> TestMariaDb.resolve(null, nothingListens))
			.withMessageContaining("nothing answers on 127.0.0.1:" + nothingListens)
			.withMessageContaining("Docker is not available")
			.withMessageContaining("start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd")
			.withMessageContaining("DEDUP_TEST_MYSQL_URL");
		assertThatExceptionOfType(AssertionError.class).isThrownBy(() -> TestPostgres.resolve(null, nothingListens))
			.withMessageContaining("nothing answers on 127.0.0.1:" + nothingListens)
			.withMessageContaining("pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start")
			.withMessageContaining("DEDUP_TEST_POSTGRES_URL");
	}

}
