package dev.dedup.jdbc.bench;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.UUID;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import dev.dedup.core.store.ClaimOutcome;
import dev.dedup.jdbc.JdbcDedupMigrations;
import dev.dedup.jdbc.JdbcDedupStore;
import dev.dedup.jdbc.JdbcDialect;
import dev.dedup.jdbc.TableName;
import dev.dedup.test.services.TestMariaDb;
import dev.dedup.test.services.TestPostgres;

/**
 * Claim latency against table size: fills a fresh table with N live rows, then times single claims of new
 * keys (the Kafka path: one claim per record) and claim + complete pairs, on one thread. Run by hand:
 *
 * <pre>
 * ./mvnw -B -q -pl dedup-store-jdbc -am test-compile
 * java -cp "$(cat dedup-store-jdbc/target/bench.classpath):dedup-store-jdbc/target/test-classes:dedup-store-jdbc/target/classes" \
 *     dev.dedup.jdbc.bench.ClaimLatencyHarness mariadb 10000 1000000
 * </pre>
 *
 * (the classpath file from {@code dependency:build-classpath -Dmdep.outputFile=target/bench.classpath}).
 * Arguments: {@code mariadb} (useAffectedRows=true), {@code mariadb-found-rows}, {@code postgresql} or
 * {@code h2}, then table sizes. The goal on record: latency at 1,000,000 rows ÷ at 10,000 rows ≤ 1.5.
 */
public final class ClaimLatencyHarness {

	private static final int WARMUP = 3_000;

	private static final int MEASURED = 20_000;

	private ClaimLatencyHarness() {
	}

	public static void main(String[] args) throws Exception {
		String vendor = args.length > 0 ? args[0] : "mariadb";
		long[] sizes = args.length > 1 ? Arrays.stream(args, 1, args.length).mapToLong(Long::parseLong).toArray()
				: new long[] { 10_000, 1_000_000 };
		double first = 0;
		for (long size : sizes) {
			Result result = measure(vendor, size);
			if (first == 0) {
				first = result.claimP50;
			}
			System.out.printf(Locale.ROOT, "%s rows=%,d  claim p50=%.0fus p99=%.0fus mean=%.0fus  "
					+ "claim+complete p50=%.0fus  fill=%.1fs  ratio(p50 vs first)=%.2f%n", vendor, size,
					result.claimP50, result.claimP99, result.claimMean, result.pairP50, result.fillSeconds,
					result.claimP50 / first);
		}
	}

	private static Result measure(String vendor, long rows) throws SQLException {
		TableName table = TableName.of("dd_bench_" + UUID.randomUUID().toString().substring(0, 8));
		JdbcDialect dialect = vendor.startsWith("mariadb") ? JdbcDialect.MYSQL
				: vendor.equals("postgresql") ? JdbcDialect.POSTGRESQL : JdbcDialect.H2;
		HikariConfig config = new HikariConfig();
		config.setJdbcUrl(switch (vendor) {
			case "mariadb" -> TestMariaDb.get().jdbcUrl("useAffectedRows=true");
			case "mariadb-found-rows" -> TestMariaDb.get().jdbcUrl();
			case "postgresql" -> TestPostgres.get().jdbcUrl();
			default -> "jdbc:h2:mem:bench-" + table + ";DB_CLOSE_DELAY=-1";
		});
		config.setMaximumPoolSize(4);
		try (HikariDataSource dataSource = new HikariDataSource(config)) {
			JdbcDedupMigrations.migrate(dataSource, dialect, table);
			try {
				long fillStart = System.nanoTime();
				fill(dataSource, dialect, table, rows);
				double fillSeconds = (System.nanoTime() - fillStart) / 1e9;
				JdbcDedupStore store = new JdbcDedupStore(dataSource, dialect, table, false);
				Duration lease = Duration.ofMinutes(5);
				String run = UUID.randomUUID().toString();
				for (int i = 0; i < WARMUP; i++) {
					store.claim("bench:warm:" + run + ":" + i, "owner", lease);
				}
				long[] claims = new long[MEASURED];
				for (int i = 0; i < MEASURED; i++) {
					long start = System.nanoTime();
					ClaimOutcome outcome = store.claim("bench:" + run + ":" + i, "owner", lease).outcome();
					claims[i] = System.nanoTime() - start;
					if (outcome != ClaimOutcome.ACQUIRED) {
						throw new IllegalStateException("Expected ACQUIRED, got " + outcome);
					}
				}
				long[] pairs = new long[MEASURED / 4];
				for (int i = 0; i < pairs.length; i++) {
					String key = "bench:pair:" + run + ":" + i;
					long start = System.nanoTime();
					store.claim(key, "owner", lease);
					store.complete(key, "owner", Duration.ofDays(7), null);
					pairs[i] = System.nanoTime() - start;
				}
				Arrays.sort(claims);
				Arrays.sort(pairs);
				return new Result(micros(claims[claims.length / 2]), micros(claims[claims.length * 99 / 100]),
						Arrays.stream(claims).average().orElse(0) / 1000, micros(pairs[pairs.length / 2]), fillSeconds);
			}
			finally {
				try (Connection connection = dataSource.getConnection();
						Statement statement = connection.createStatement()) {
					statement.execute("DROP TABLE " + table);
					statement.execute("DROP TABLE " + (dialect == JdbcDialect.H2 ? '"' + table.historyTable() + '"'
							: table.historyTable()));
				}
			}
		}
	}

	/**
	 * N rows in one INSERT … SELECT over six cross-joined digit tables: consumed rows with a week of
	 * retention, spread like a real stream's keys (prefix, group, id).
	 */
	private static void fill(HikariDataSource dataSource, JdbcDialect dialect, TableName table, long rows)
			throws SQLException {
		String digits = "(SELECT 0 AS n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 "
				+ "UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)";
		String number = "(d0.n + 10 * d1.n + 100 * d2.n + 1000 * d3.n + 10000 * d4.n + 100000 * d5.n)";
		String key = switch (dialect) {
			case MYSQL -> "CAST(CONCAT('dedup:group:order-', " + number + ") AS BINARY)";
			default -> "CONCAT('dedup:group:order-', CAST(" + number + " AS VARCHAR(20)))";
		};
		String now = switch (dialect) {
			case MYSQL -> "UTC_TIMESTAMP(3)";
			case POSTGRESQL -> "statement_timestamp()";
			case H2 -> "CURRENT_TIMESTAMP(3)";
		};
		String week = switch (dialect) {
			case MYSQL -> "UTC_TIMESTAMP(3) + INTERVAL 7 DAY";
			case POSTGRESQL -> "statement_timestamp() + INTERVAL '7 days'";
			case H2 -> "DATEADD(DAY, 7, CURRENT_TIMESTAMP(3))";
		};
		String sql = "INSERT INTO " + table + " (dedup_key, state, owner, expires_at, result, created_at, updated_at) "
				+ "SELECT " + key + ", 'D', NULL, " + week + ", NULL, " + now + ", " + now + " FROM " + digits
				+ " d0 CROSS JOIN " + digits + " d1 CROSS JOIN " + digits + " d2 CROSS JOIN " + digits + " d3 CROSS JOIN "
				+ digits + " d4 CROSS JOIN " + digits + " d5 WHERE " + number + " < " + rows;
		try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
			statement.executeUpdate(sql);
			if (dialect == JdbcDialect.POSTGRESQL) {
				statement.execute("ANALYZE " + table);
			}
			else if (dialect == JdbcDialect.MYSQL) {
				statement.execute("ANALYZE TABLE " + table);
			}
		}
	}

	private static double micros(long nanos) {
		return nanos / 1000.0;
	}

	private record Result(double claimP50, double claimP99, double claimMean, double pairP50, double fillSeconds) {
	}

}
