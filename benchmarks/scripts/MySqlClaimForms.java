import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;

import tools.jackson.core.io.JsonStringEncoder;

/**
 * The client's and MariaDB's CPU per key for the forms a poll's claim can bind its keys in, through
 * mysql-connector-j as the JDBC store uses it (client-side prepared statements, keys as text), in polls of
 * 500 new keys with the poll's own row. Run from the repository root, with {@code $CP} as in
 * docs/BENCHMARKS.md, against an otherwise idle MariaDB (database {@code test}, root, no password):
 *
 * <pre>java -cp "$CP" benchmarks/scripts/MySqlClaimForms.java [jdbc-url]</pre>
 *
 * It creates and drops its own table ({@code bench_formcost}, the store's layout). Client CPU is this thread's;
 * server CPU is mariadbd's (utime + stime from /proc), and {@code Handler_tmp_write} counts the rows the server
 * wrote into temporary tables. Forms: {@code derived} (one {@code UNION ALL SELECT ?} per key, the store's
 * form until 2026-12-07), {@code json} (one JSON array, {@code JSON_TABLE}: the store's form since),
 * {@code json-ordinality} (the poll's row inside the same array, no {@code UNION}), {@code values} (a
 * {@code VALUES} row per key).
 */
public class MySqlClaimForms {

	static final String TABLE = "bench_formcost";

	static final int KEYS = 500;

	static final int POLLS = 200;

	static final String COLUMNS = "INSERT INTO " + TABLE
			+ " (dedup_key, state, owner, expires_at, result, created_at, updated_at) ";

	static final String PLUS_MILLIS = "TIMESTAMPADD(MICROSECOND, ? * 1000, UTC_TIMESTAMP(3))";

	static final String POLL_ROW = " UNION ALL SELECT ?, 'C', ?, " + PLUS_MILLIS
			+ ", NULL, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3)";

	static final String JSON_KEYS = "JSON_TABLE(?, '$[*]' COLUMNS (k VARCHAR(512) CHARACTER SET utf8mb4 PATH '$'))";

	public static void main(String[] args) throws Exception {
		String url = args.length > 0 ? args[0] : "jdbc:mysql://127.0.0.1:3306/test?user=root&useAffectedRows=true";
		ThreadMXBean threads = ManagementFactory.getThreadMXBean();
		try (Connection connection = DriverManager.getConnection(url)) {
			for (int pass = 0; pass < 5; pass++) {
				for (String form : List.of("derived", "json", "json-ordinality", "values")) {
					createTable(connection);
					long tmp = tmpWrites(connection);
					long client = threads.getCurrentThreadCpuTime();
					long server = serverCpuMicros();
					for (int poll = 0; poll < POLLS; poll++) {
						List<String> keys = new ArrayList<>();
						for (int i = 0; i < KEYS; i++) {
							keys.add("bench-1796651234:kafka:bench-dedup-mariadb-7-1796651234:bench-1796651234-"
									+ (pass * 1_000_000 + poll * KEYS + i) + "-" + form);
						}
						claim(connection, form, keys, "poll-" + UUID.randomUUID());
					}
					double perKey = KEYS * POLLS;
					System.out.printf("pass %d %-16s client %5.2f µs per key, server %5.2f, temporary rows %.2f%n", pass,
							form, (threads.getCurrentThreadCpuTime() - client) / 1000.0 / perKey,
							(serverCpuMicros() - server) / perKey, (tmpWrites(connection) - tmp) / perKey);
				}
			}
			try (Statement statement = connection.createStatement()) {
				statement.execute("DROP TABLE " + TABLE);
			}
		}
	}

	static void claim(Connection connection, String form, List<String> keys, String owner) throws SQLException {
		String pollRow = "\u0001poll:" + owner;
		String sql = switch (form) {
			case "derived" -> COLUMNS + "SELECT k, 'P', ?, " + PLUS_MILLIS
					+ ", NULL, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3) FROM (SELECT ? AS k"
					+ " UNION ALL SELECT ?".repeat(keys.size() - 1) + ") AS new_keys" + POLL_ROW;
			case "json" -> COLUMNS + "SELECT k, 'P', ?, " + PLUS_MILLIS
					+ ", NULL, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3) FROM " + JSON_KEYS + " AS new_keys" + POLL_ROW;
			case "json-ordinality" -> COLUMNS + "SELECT k, IF(n = ?, 'C', 'P'), ?, "
					+ "TIMESTAMPADD(MICROSECOND, IF(n = ?, ?, ?) * 1000, UTC_TIMESTAMP(3)), NULL, UTC_TIMESTAMP(3), "
					+ "UTC_TIMESTAMP(3) FROM JSON_TABLE(?, '$[*]' COLUMNS (n FOR ORDINALITY, "
					+ "k VARCHAR(512) CHARACTER SET utf8mb4 PATH '$')) AS new_keys";
			default -> COLUMNS + "VALUES " + String.join(", ", Collections.nCopies(keys.size(),
					"(?, 'P', ?, " + PLUS_MILLIS + ", NULL, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))"))
					+ ", (?, 'C', ?, " + PLUS_MILLIS + ", NULL, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))";
		};
		try (PreparedStatement statement = connection.prepareStatement(sql)) {
			int index = 1;
			switch (form) {
				case "derived", "json" -> {
					statement.setString(index++, owner);
					statement.setLong(index++, 600_000);
					if (form.equals("json")) {
						statement.setString(index++, jsonArray(keys));
					}
					else {
						for (String key : keys) {
							statement.setString(index++, key);
						}
					}
					statement.setString(index++, pollRow);
					statement.setString(index++, owner);
					statement.setLong(index, 30_000);
				}
				case "json-ordinality" -> {
					List<String> rows = new ArrayList<>(keys);
					rows.add(pollRow);
					statement.setInt(index++, rows.size());
					statement.setString(index++, owner);
					statement.setInt(index++, rows.size());
					statement.setLong(index++, 30_000);
					statement.setLong(index++, 600_000);
					statement.setString(index, jsonArray(rows));
				}
				default -> {
					for (String key : keys) {
						statement.setString(index++, key);
						statement.setString(index++, owner);
						statement.setLong(index++, 600_000);
					}
					statement.setString(index++, pollRow);
					statement.setString(index++, owner);
					statement.setLong(index, 30_000);
				}
			}
			int rows = statement.executeUpdate();
			if (rows != keys.size() + 1) {
				throw new IllegalStateException(form + " inserted " + rows + " rows");
			}
		}
	}

	static String jsonArray(List<String> keys) {
		StringBuilder array = new StringBuilder().append('[');
		for (String key : keys) {
			if (array.length() > 1) {
				array.append(',');
			}
			array.append('"');
			JsonStringEncoder.getInstance().quoteAsString(key, array);
			array.append('"');
		}
		return array.append(']').toString();
	}

	static void createTable(Connection connection) throws SQLException {
		try (Statement statement = connection.createStatement()) {
			statement.execute("DROP TABLE IF EXISTS " + TABLE);
			statement.execute("CREATE TABLE " + TABLE + " (dedup_key VARBINARY(512) NOT NULL, "
					+ "state CHAR(1) CHARACTER SET ascii NOT NULL, owner VARBINARY(128) NULL, "
					+ "expires_at DATETIME(3) NOT NULL, result MEDIUMBLOB NULL, created_at DATETIME(3) NOT NULL, "
					+ "updated_at DATETIME(3) NOT NULL, PRIMARY KEY (dedup_key), INDEX " + TABLE
					+ "_expires_idx (expires_at)) ENGINE = InnoDB");
		}
	}

	static long tmpWrites(Connection connection) throws SQLException {
		try (Statement statement = connection.createStatement();
				ResultSet row = statement.executeQuery("SHOW GLOBAL STATUS LIKE 'Handler_tmp_write'")) {
			row.next();
			return row.getLong(2);
		}
	}

	static long serverCpuMicros() throws Exception {
		Process pidof = new ProcessBuilder("pidof", "mariadbd").start();
		String pid = new String(pidof.getInputStream().readAllBytes()).trim().split(" ")[0];
		String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
		String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
		return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * 10_000;
	}

}
