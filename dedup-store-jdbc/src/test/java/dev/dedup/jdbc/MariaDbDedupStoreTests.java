package dev.dedup.jdbc;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.IntStream;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;

import dev.dedup.core.store.ClaimOutcome;
import dev.dedup.core.store.ClaimResult;
import dev.dedup.test.services.TestMariaDb;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The JDBC store on MariaDB (MySQL protocol, mysql-connector-j) with {@code useAffectedRows=true}: the
 * claim's upsert count tells inserted, taken over and left alone apart, so a new key costs one statement.
 */
class MariaDbDedupStoreTests extends JdbcDedupStoreTests {

	@Override
	protected String jdbcUrl() {
		return TestMariaDb.get().jdbcUrl("useAffectedRows=true");
	}

	@Override
	protected JdbcDialect dialect() {
		return JdbcDialect.MYSQL;
	}

	@Override
	protected String unreachableUrl(int port) {
		return "jdbc:mysql://127.0.0.1:" + port + "/test?user=root&password=&connectTimeout=1000";
	}

	@Override
	protected String setSessionTimeZone(String offset) {
		return "SET time_zone = '" + offset + "'";
	}

	/** Whether {@link #jdbcUrl()} makes the driver report affected rows rather than found rows. */
	protected boolean reportsAffectedRows() {
		return true;
	}

	@Test
	void detectsWhetherTheConnectionsReportAffectedOrFoundRows() {
		this.store.claim(key("probe"), "a", java.time.Duration.ofSeconds(1));
		assertThat(this.store.usesAffectedRows()).isEqualTo(reportsAffectedRows());
	}

	@Test
	void aPollOfNewIdsIsClaimedWithOneInsertAndMarkedWithOneUpdateWithNoTransactionAroundEither()
			throws SQLException {
		List<String> keys = IntStream.range(0, 50).mapToObj(i -> key("one-statement-" + i)).toList();

		assertThat(statementsRunBy(store -> {
			assertThat(store.claimAll(keys, "owner-a", Duration.ofSeconds(30))).containsOnly(ClaimResult.acquired());
			assertThat(store.completeAll(keys, "owner-a", Duration.ofSeconds(30))).containsOnly(true);
		})).as("statements the server ran").containsOnly(Map.entry("Com_insert_select", 1L),
				Map.entry("Com_update", 1L));
	}

	@Test
	void aPollOfNewIdsIsClaimedWithOneInsertAndMarkedConsumedWithOneUpdateOfItsPollRow() throws SQLException {
		List<String> keys = IntStream.range(0, 50).mapToObj(i -> key("one-poll-" + i)).toList();

		assertThat(statementsRunBy(store -> {
			assertThat(store.claimPoll(keys, "poll-owner", Duration.ofSeconds(30), Duration.ofMinutes(10)))
				.containsOnly(ClaimResult.acquired());
			assertThat(store.completePoll(keys, "poll-owner", Duration.ofMinutes(20))).containsOnly(true);
		})).as("statements the server ran").containsOnly(Map.entry("Com_insert_select", 1L),
				Map.entry("Com_update", 1L));
		assertThat(this.store.claimAll(keys, "owner-b", Duration.ofSeconds(30))).extracting(ClaimResult::outcome)
			.containsOnly(ClaimOutcome.DUPLICATE);
		assertThat(this.store.inspect(keys.get(0))).get().extracting(entry -> entry.remainingTtl().toMinutes())
			.as("the mark's retention, on the poll's row").isEqualTo(19L);
	}

	/**
	 * The statements the server ran for {@code steps}, by {@code Com_} counter (those that moved), on a store
	 * of one connection of its own, once its one-time counting-mode probe is done.
	 */
	private Map<String, Long> statementsRunBy(Consumer<JdbcDedupStore> steps) throws SQLException {
		try (Connection connection = DriverManager.getConnection(jdbcUrl())) {
			JdbcDedupStore store = new JdbcDedupStore(new SingleConnectionDataSource(connection, true),
					JdbcDialect.MYSQL, this.table, false);
			store.claim(key("first-use"), "prepare", Duration.ofSeconds(1));
			Map<String, Long> before = statementCounts(connection);
			steps.accept(store);
			Map<String, Long> after = statementCounts(connection);
			after.replaceAll((name, count) -> count - before.getOrDefault(name, 0L));
			after.values().removeIf(count -> count == 0);
			return after;
		}
	}

	@Test
	void keysTravelAsTextInAUtf8mb4SessionAndAsBytesInALatin1OneAndBothFindTheSameRow() {
		String key = key("text-\u00E9-\u4E2D-\uD83D\uDE00-'-\\");
		assertThat(this.store.claim(key, "owner-a", Duration.ofSeconds(30)).outcome())
			.isEqualTo(ClaimOutcome.ACQUIRED);
		assertThat(this.store.bindsKeysAsText()).isTrue();
		try (HikariDataSource latin1 = TestTables.pool(withParameter("characterEncoding=ISO-8859-1"))) {
			JdbcDedupStore bytes = new JdbcDedupStore(latin1, JdbcDialect.MYSQL, this.table, false);

			assertThat(bytes.claimAll(List.of(key, key + "-other"), "owner-b", Duration.ofSeconds(30)))
				.extracting(ClaimResult::outcome)
				.containsExactly(ClaimOutcome.IN_PROGRESS, ClaimOutcome.ACQUIRED);
			assertThat(bytes.bindsKeysAsText()).as("a latin1 session cannot carry the key as text").isFalse();
			assertThat(bytes.complete(key + "-other", "owner-b", Duration.ofSeconds(30), null)).isTrue();
		}
		assertThat(this.store.claim(key + "-other", "owner-a", Duration.ofSeconds(30)).outcome())
			.isEqualTo(ClaimOutcome.DUPLICATE);
		assertThat(this.store.completeAll(List.of(key), "owner-a", Duration.ofSeconds(30))).containsExactly(true);
	}

	@Test
	void aPollsKeysWithQuotesBackslashesControlCharactersAndOtherScriptsGoInAsOneJsonArrayAndEachIsFoundByItself() {
		List<String> keys = List.of(key("json-\"quoted\""), key("json-back\\slash"), key("json-\\u0041-as-text"),
				key("json-tab\tnew\nline\u0001\u001f"), key("json-\u00E9-\u4E2D-\uD83D\uDE00"), key("json-\"]-closes"),
				key("json-'-single"), key("json-\u2028-separator"));

		assertThat(this.store.claimPoll(keys, "json-poll-owner", Duration.ofSeconds(30), Duration.ofMinutes(10)))
			.containsOnly(ClaimResult.acquired());
		assertThat(this.store.claimAll(keys.stream().map(key -> key + "-all").toList(), "owner-a", Duration.ofSeconds(30)))
			.containsOnly(ClaimResult.acquired());
		for (String key : keys) {
			assertThat(this.store.claim(key, "owner-b", Duration.ofSeconds(30)).outcome()).as(key)
				.isEqualTo(ClaimOutcome.IN_PROGRESS);
			assertThat(this.store.complete(key + "-all", "owner-a", Duration.ofSeconds(30), null)).as(key).isTrue();
		}
	}

	private String withParameter(String parameter) {
		return jdbcUrl() + (jdbcUrl().contains("?") ? "&" : "?") + parameter;
	}

	/** The session's statement counters, except the one that counts these reads. */
	private static Map<String, Long> statementCounts(Connection connection) throws SQLException {
		Map<String, Long> counts = new TreeMap<>();
		try (Statement statement = connection.createStatement();
				ResultSet rows = statement.executeQuery("SHOW SESSION STATUS LIKE 'Com\\_%'")) {
			while (rows.next()) {
				counts.put(rows.getString(1), rows.getLong(2));
			}
		}
		counts.remove("Com_show_status");
		return counts;
	}

}
