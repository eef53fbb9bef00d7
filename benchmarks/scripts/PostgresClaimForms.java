import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The client's and PostgreSQL's CPU per key for the forms a poll's claim can take, through pgjdbc as the JDBC
 * store uses it (keys as one text array), in polls of 500 new keys with the poll's own row. Run from the
 * repository root, with {@code $CP} as in docs/BENCHMARKS.md, against an otherwise idle PostgreSQL (database
 * {@code test}, user postgres, trust):
 *
 * <pre>java -cp "$CP" benchmarks/scripts/PostgresClaimForms.java [jdbc-url]</pre>
 *
 * It creates and drops its own table ({@code bench_pgform}, the store's layout). Client CPU is this thread's;
 * server CPU is that of every {@code postgres} process (utime + stime from /proc). Forms: {@code upsert} (the
 * store's only form until 2026-12-07: {@code ON CONFLICT DO UPDATE … RETURNING}), {@code upsert-counted}
 * (the same without {@code RETURNING}), {@code do-nothing} ({@code ON CONFLICT DO NOTHING}), {@code insert}
 * (a plain {@code INSERT}: the store's first statement for a batch since).
 */
public class PostgresClaimForms {

	static final String TABLE = "bench_pgform";

	static final int KEYS = 500;

	static final int POLLS = 200;

	public static void main(String[] args) throws Exception {
		String url = args.length > 0 ? args[0] : "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
		String insert = "INSERT INTO " + TABLE + " AS d (dedup_key, state, owner, expires_at, result, created_at, "
				+ "updated_at) SELECT k, 'P', ?, statement_timestamp() + ? * INTERVAL '1 millisecond', CAST(NULL AS BYTEA), "
				+ "statement_timestamp(), statement_timestamp() FROM unnest(CAST(? AS TEXT[])) AS k UNION ALL SELECT ?, "
				+ "'C', ?, statement_timestamp() + ? * INTERVAL '1 millisecond', NULL, statement_timestamp(), "
				+ "statement_timestamp()";
		String upsert = insert + " ON CONFLICT (dedup_key) DO UPDATE SET state = EXCLUDED.state, owner = EXCLUDED.owner, "
				+ "expires_at = EXCLUDED.expires_at, result = NULL, created_at = EXCLUDED.created_at, "
				+ "updated_at = EXCLUDED.updated_at WHERE d.state <> 'P' AND d.expires_at <= statement_timestamp()";
		Map<String, String> forms = new LinkedHashMap<>();
		forms.put("upsert", upsert + " RETURNING d.dedup_key");
		forms.put("upsert-counted", upsert);
		forms.put("do-nothing", insert + " ON CONFLICT DO NOTHING");
		forms.put("insert", insert);
		ThreadMXBean threads = ManagementFactory.getThreadMXBean();
		try (Connection connection = DriverManager.getConnection(url)) {
			for (int pass = 0; pass < 4; pass++) {
				for (Map.Entry<String, String> form : forms.entrySet()) {
					createTable(connection);
					long client = threads.getCurrentThreadCpuTime();
					long server = serverCpuMicros();
					for (int poll = 0; poll < POLLS; poll++) {
						List<String> keys = new ArrayList<>();
						for (int i = 0; i < KEYS; i++) {
							keys.add("bench-1796651234:kafka:bench-dedup-postgresql-7-1796651234:bench-1796651234-"
									+ (poll * KEYS + i));
						}
						claim(connection, form.getKey(), form.getValue(), keys, "poll-" + UUID.randomUUID());
					}
					double perKey = KEYS * POLLS;
					System.out.printf("pass %d %-15s client %5.2f µs per key, server %5.2f%n", pass, form.getKey(),
							(threads.getCurrentThreadCpuTime() - client) / 1000.0 / perKey,
							(serverCpuMicros() - server) / perKey);
				}
			}
			try (Statement statement = connection.createStatement()) {
				statement.execute("DROP TABLE " + TABLE);
			}
		}
	}

	static void claim(Connection connection, String form, String sql, List<String> keys, String owner)
			throws Exception {
		try (PreparedStatement statement = connection.prepareStatement(sql)) {
			statement.setString(1, owner);
			statement.setLong(2, 600_000);
			statement.setArray(3, connection.createArrayOf("text", keys.toArray()));
			statement.setString(4, "\u0001poll:" + owner);
			statement.setString(5, owner);
			statement.setLong(6, 30_000);
			int rows = 0;
			if (form.equals("upsert")) {
				try (ResultSet returned = statement.executeQuery()) {
					while (returned.next()) {
						returned.getString(1);
						rows++;
					}
				}
			}
			else {
				rows = statement.executeUpdate();
			}
			if (rows != keys.size() + 1) {
				throw new IllegalStateException(form + " wrote " + rows + " rows");
			}
		}
	}

	static void createTable(Connection connection) throws Exception {
		try (Statement statement = connection.createStatement()) {
			statement.execute("DROP TABLE IF EXISTS " + TABLE);
			statement.execute("CREATE TABLE " + TABLE + " (dedup_key VARCHAR(512) COLLATE \"C\" NOT NULL PRIMARY KEY, "
					+ "state CHAR(1) NOT NULL, owner VARCHAR(128), expires_at TIMESTAMPTZ(3) NOT NULL, result BYTEA, "
					+ "created_at TIMESTAMPTZ(3) NOT NULL, updated_at TIMESTAMPTZ(3) NOT NULL)");
			statement.execute("CREATE INDEX " + TABLE + "_expires_idx ON " + TABLE + " (expires_at)");
		}
	}

	static long serverCpuMicros() throws Exception {
		long ticks = 0;
		try (DirectoryStream<Path> processes = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
			for (Path process : processes) {
				String stat;
				try {
					stat = Files.readString(process.resolve("stat"));
				}
				catch (java.io.IOException ex) {
					continue;
				}
				if (stat.contains("(postgres)")) {
					String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
					ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
				}
			}
		}
		return ticks * 10_000;
	}

}
