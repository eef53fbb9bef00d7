package dev.dedup.kafka.integration;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.zaxxer.hikari.HikariDataSource;
import org.springframework.jdbc.core.JdbcTemplate;

import dev.dedup.test.services.ChildJvm;
import dev.dedup.test.services.TestDatabase;

/** What the tests that run {@link TransactionalJdbcConsumer} JVMs against a database share. */
final class JdbcConsumerRuns {

	private JdbcConsumerRuns() {
	}

	/** A data source on the test database, with an empty business table {@code orders} (id, consumer). */
	static HikariDataSource dataSourceWithOrders(TestDatabase database, String orders) {
		HikariDataSource dataSource = new HikariDataSource();
		dataSource.setJdbcUrl(database.jdbcUrl());
		new JdbcTemplate(dataSource)
			.execute("CREATE TABLE " + orders + " (id VARCHAR(100) NOT NULL, consumer VARCHAR(40))");
		return dataSource;
	}

	/** The consumer app's properties: the JDBC store on the test database, polls of at most 20 records. */
	static Map<String, Object> consumerApp(TestDatabase database, String topic, int partitions, String group,
			String dedupTable, String orders, String style) {
		Map<String, Object> properties = TestKafka.get().consumerApp(topic, partitions, group, group, "");
		properties.remove("spring.data.redis.url");
		properties.put("dedup.store", "jdbc");
		properties.put("dedup.jdbc.table-name", dedupTable);
		properties.put("dedup.jdbc.purge.enabled", "false");
		properties.put("spring.datasource.url", database.jdbcUrl());
		properties.put("spring.kafka.consumer.max-poll-records", "20");
		properties.put("spring.jmx.enabled", "false");
		properties.put("test.orders-table", orders);
		properties.put("test.style", style);
		return properties;
	}

	/** A consumer JVM named {@code test-vendor-name}, writing {@code name} into its business rows. */
	static ChildJvm start(String test, String vendor, String name, Map<String, Object> properties) throws Exception {
		Map<String, Object> own = new HashMap<>(properties);
		own.put("test.consumer", name);
		return ChildJvm.start(TransactionalJdbcConsumer.class, test + "-" + vendor + "-" + name, own);
	}

	static long count(JdbcTemplate jdbc, String sql) {
		Long count = jdbc.queryForObject(sql, Long.class);
		return count == null ? 0 : count;
	}

	/**
	 * Once every id has a business row: after a second for a straggling duplicate to show, exactly one row per
	 * id and one CONSUMED mark per id, and no claim left behind.
	 */
	static void assertOneRowAndOneMarkPerId(JdbcTemplate jdbc, String orders, String dedupTable, int ids,
			String run) throws InterruptedException {
		Thread.sleep(1000);
		assertThat(jdbc.queryForList("SELECT id FROM " + orders + " GROUP BY id HAVING COUNT(*) > 1", String.class))
			.as("ids with more than one business row (%s)", run)
			.isEmpty();
		assertThat(count(jdbc, "SELECT COUNT(*) FROM " + orders)).as("business rows (%s)", run).isEqualTo(ids);
		Map<String, Long> keys = keyStates(jdbc, dedupTable);
		assertThat(keys.getOrDefault("D", 0L)).as("CONSUMED marks (%s)", run).isEqualTo(ids);
		assertThat(keys).as("claims left behind (%s)", run).containsOnlyKeys("D");
	}

	/**
	 * How many keys the dedup table holds in each state, a key of a poll (state P, on MySQL and MariaDB)
	 * in its poll row's state; the poll rows themselves (their keys start with a control character) are
	 * not keys.
	 */
	static Map<String, Long> keyStates(JdbcTemplate jdbc, String dedupTable) {
		Map<String, String> polls = new HashMap<>();
		List<String[]> rows = jdbc.query("SELECT dedup_key, state, owner FROM " + dedupTable,
				(row, index) -> new String[] { row.getString(1), row.getString(2).trim(), row.getString(3) });
		rows.stream().filter(row -> row[0].startsWith("\u0001poll:")).forEach(row -> polls.put(row[2], row[1]));
		Map<String, Long> states = new TreeMap<>();
		rows.stream().filter(row -> !row[0].startsWith("\u0001poll:"))
			.map(row -> row[1].equals("P") ? polls.getOrDefault(row[2], "P (its poll's row is gone)") : row[1])
			.forEach(state -> states.merge(state, 1L, Long::sum));
		return states;
	}

	/** Stops the consumers, then drops the business table and the dedup table (with its Flyway history). */
	static void cleanUp(List<ChildJvm> children, HikariDataSource dataSource, String orders, String dedupTable)
			throws InterruptedException {
		for (ChildJvm child : children) {
			child.close();
		}
		JdbcTemplate jdbc = new JdbcTemplate(dataSource);
		jdbc.execute("DROP TABLE IF EXISTS " + orders);
		jdbc.execute("DROP TABLE IF EXISTS " + dedupTable);
		jdbc.execute("DROP TABLE IF EXISTS " + dedupTable + "_schema_history");
		dataSource.close();
	}

}
