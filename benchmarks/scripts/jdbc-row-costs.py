#!/usr/bin/env python3
"""The database's own CPU per row for the ways a poll's claim can be written, in statements of 500 rows.

Run from the repository root against an otherwise idle MariaDB (database `test`, root, no password) and
PostgreSQL (database `test`, user postgres, trust auth) on 127.0.0.1; it creates and drops its own tables
(`bench_rowcost_*`):
    python3 benchmarks/scripts/jdbc-row-costs.py [mariadb|postgresql ...]
Each case writes BATCHES statements of BATCH new rows through the `mysql` or `psql` client, one statement at
a time in auto-commit, as the store does. The server's CPU (utime + stime of mariadbd, or of every postgres
process, from /proc) is read before and after, so the figures are the server's, not the client's: the
driver's and dedup's share is in the Kafka benchmark's client column. See docs/BENCHMARKS.md.
"""
import os
import random
import subprocess
import sys
import tempfile

BATCH, BATCHES, PASSES = 500, 120, 2
OWNER = "7f3a9c2e4b1d4e8a9f00123456789abc"  # as long as dedup's owners (128 random bits in hex)
TICKS = os.sysconf("SC_CLK_TCK")


def server_cpu_micros(names):
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)
            with open(f"/proc/{pid}/comm") as comm:
                name = comm.read().strip()
        except OSError:
            continue
        if name in names:
            values = fields[1].split()
            total += int(values[11]) + int(values[12])  # utime, stime (fields 14 and 15)
    return total * 1_000_000 // TICKS


def keys(run, batch):
    return [f"bench-{run}:kafka:bench-group:{batch}-{i}-{random.getrandbits(32):08x}" for i in range(BATCH)]


MYSQL = {
    "client": ["mysql", "-uroot", "-h127.0.0.1", "test"],
    "server": {"mariadbd", "mysqld"},
    "now": "UTC_TIMESTAMP(3)",
    "plus": "TIMESTAMPADD(MICROSECOND, 30000 * 1000, UTC_TIMESTAMP(3))",
    "key": "VARBINARY(512)",
    "id": "VARBINARY(128)",
    "time": "DATETIME(3)",
    "blob": "MEDIUMBLOB",
    "suffix": " ENGINE = InnoDB",
    "index": lambda table, column: f"CREATE INDEX {table}_{column}_idx ON {table} ({column})",
}

POSTGRES = {
    "client": ["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-v", "ON_ERROR_STOP=1", "-c", "SET client_min_messages = warning", "-f", "-"],
    "server": {"postgres"},
    "now": "CURRENT_TIMESTAMP",
    "plus": "CURRENT_TIMESTAMP + 30000 * INTERVAL '1 millisecond'",
    "key": "VARCHAR(512)",
    "id": "VARCHAR(128)",
    "time": "TIMESTAMPTZ",
    "blob": "BYTEA",
    "suffix": "",
    "index": lambda table, column: f"CREATE INDEX {table}_{column}_idx ON {table} ({column})",
}


def cases(d):
    """(label, columns, indexes, a function from keys to one INSERT statement)."""
    now, plus = d["now"], d["plus"]

    def values(table, row):
        return lambda ks: f"INSERT INTO {table} VALUES " + ", ".join(row(k) for k in ks)

    full = (f"dedup_key {d['key']} NOT NULL PRIMARY KEY, state CHAR(1) NOT NULL, owner {d['id']} NULL, "
            f"expires_at {d['time']} NOT NULL, result {d['blob']} NULL, created_at {d['time']} NOT NULL, "
            f"updated_at {d['time']} NOT NULL")
    full_row = lambda k: f"('{k}', 'C', '{OWNER}', {plus}, NULL, {now}, {now})"
    columns = "(dedup_key, state, owner, expires_at, result, created_at, updated_at)"
    if "postgres" in d["server"]:  # PostgresTableSql's claim: the keys as one array, inserted or taken over
        store_claim = lambda table: lambda ks: (
            f"INSERT INTO {table} AS d {columns} SELECT k, 'C', '{OWNER}', {plus}, NULL, {now}, {now} "
            "FROM unnest(ARRAY[" + ", ".join(f"'{k}'" for k in ks) + "]::TEXT[]) AS k ON CONFLICT (dedup_key) DO "
            "UPDATE SET state = 'C', owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at, result = NULL, "
            "created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at WHERE d.expires_at <= "
            f"{now} RETURNING d.dedup_key")
    else:  # MySqlTableSql's claim of new keys: INSERT … SELECT from a UNION ALL of the keys
        store_claim = lambda table: lambda ks: (
            f"INSERT INTO {table} {columns} SELECT k, 'C', '{OWNER}', {plus}, NULL, {now}, {now} "
            f"FROM (SELECT '{ks[0]}' AS k" + "".join(f" UNION ALL SELECT '{k}'" for k in ks[1:]) + ") AS new_keys")
    narrow = f"dedup_key {d['key']} NOT NULL PRIMARY KEY, state CHAR(1) NOT NULL, expires_at {d['time']} NOT NULL"
    return [
        ("floor: key VARCHAR(255) + state, no index",
         "k VARCHAR(255) NOT NULL PRIMARY KEY, state CHAR(1) NOT NULL", [], lambda t: values(t, lambda k: f"('{k}', 'C')")),
        ("key + state, the store's key type", f"dedup_key {d['key']} NOT NULL PRIMARY KEY, state CHAR(1) NOT NULL", [],
         lambda t: values(t, lambda k: f"('{k}', 'C')")),
        ("key + state + owner", f"dedup_key {d['key']} NOT NULL PRIMARY KEY, state CHAR(1) NOT NULL, owner {d['id']} NULL",
         [], lambda t: values(t, lambda k: f"('{k}', 'C', '{OWNER}')")),
        ("key + state + expiry, no index", narrow, [], lambda t: values(t, lambda k: f"('{k}', 'C', {plus})")),
        ("key + state + expiry, expiry index", narrow, ["expires_at"], lambda t: values(t, lambda k: f"('{k}', 'C', {plus})")),
        ("key + owner + expiry, expiry index (a poll's key row: the state on the poll's row)",
         f"dedup_key {d['key']} NOT NULL PRIMARY KEY, owner {d['id']} NOT NULL, expires_at {d['time']} NOT NULL",
         ["expires_at"], lambda t: values(t, lambda k: f"('{k}', '{OWNER}', {plus})")),
        ("the store's row without created_at and updated_at, no index",
         f"dedup_key {d['key']} NOT NULL PRIMARY KEY, state CHAR(1) NOT NULL, owner {d['id']} NULL, "
         f"expires_at {d['time']} NOT NULL, result {d['blob']} NULL", [],
         lambda t: values(t, lambda k: f"('{k}', 'C', '{OWNER}', {plus}, NULL)")),
        ("the store's row, no index", full, [], lambda t: values(t, full_row)),
        ("the store's row and expiry index, VALUES", full, ["expires_at"], lambda t: values(t, full_row)),
        ("the store's row and expiry index, the store's claim statement", full, ["expires_at"], store_claim),
    ]


def run_measured(d, statements):
    """Runs the statements in one session; returns the server CPU they cost, in microseconds."""
    if "postgres" not in d["server"]:
        before = server_cpu_micros(d["server"])
        run_sql(d["client"], statements)
        return server_cpu_micros(d["server"]) - before
    # A PostgreSQL backend exits with its session, taking its CPU times along: read them from inside it.
    with tempfile.TemporaryDirectory() as marks:
        lines = ["SELECT pg_backend_pid() AS pid \\gset", "\\setenv BACKEND_PID :pid",
                 f"\\! cat /proc/$BACKEND_PID/stat > {marks}/before"]
        lines += [statement + ";" for statement in statements] + [f"\\! cat /proc/$BACKEND_PID/stat > {marks}/after"]
        run_lines(d["client"], lines)
        return backend_cpu_micros(f"{marks}/after") - backend_cpu_micros(f"{marks}/before")


def backend_cpu_micros(path):
    with open(path) as stat:
        values = stat.read().rsplit(")", 1)[1].split()
    return (int(values[11]) + int(values[12])) * 1_000_000 // TICKS


def run_sql(client, statements):
    run_lines(client, [statement + ";" for statement in statements])


def run_lines(client, lines):
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write("\n".join(lines) + "\n")
        path = script.name
    try:
        with open(path) as source:
            subprocess.run(client, stdin=source, check=True, stdout=subprocess.DEVNULL)
    finally:
        os.unlink(path)


def measure(name, d):
    print(f"\n{name}: server CPU µs per row, {BATCHES} statements of {BATCH} new rows, {PASSES} passes")
    for number, (label, columns, indexes, insert) in enumerate(cases(d)):
        table = f"bench_rowcost_{number}"
        figures = []
        for run in range(PASSES):
            run_sql(d["client"], [f"DROP TABLE IF EXISTS {table}", f"CREATE TABLE {table} ({columns}){d['suffix']}"]
                    + [d["index"](table, column) for column in indexes])
            statements = [insert(table)(keys(f"{number}-{run}", batch)) for batch in range(BATCHES)]
            figures.append(run_measured(d, statements) / (BATCH * BATCHES))
        run_sql(d["client"], [f"DROP TABLE IF EXISTS {table}"])
        print(f"| {label} | " + " | ".join(f"{figure:.1f}" for figure in figures) + " |")


if __name__ == "__main__":
    chosen = sys.argv[1:] or ["mariadb", "postgresql"]
    for name in chosen:
        measure(name, {"mariadb": MYSQL, "postgresql": POSTGRES}[name])
