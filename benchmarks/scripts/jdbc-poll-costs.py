#!/usr/bin/env python3
"""MariaDB's own CPU per key for a poll's claim and mark, as the JDBC store writes them, in polls of 500 keys.

Run from the repository root against an otherwise idle MariaDB (database `test`, root, no password) on
127.0.0.1; it creates and drops its own table (`bench_pollcost`, the store's layout):
    python3 benchmarks/scripts/jdbc-poll-costs.py
Cases: the claim alone; a claim and a mark per key (the store's per-key path); a claim of state-P rows with
the poll's row in the same INSERT and the poll row's UPDATE (polls in one write), with and without a check in
that UPDATE that every key is still held. mariadbd's CPU (utime + stime from /proc) is read before and after
each case. See docs/BENCHMARKS.md.
"""
import os
import random
import subprocess
import tempfile

KEYS, POLLS, PASSES = 500, 100, 2
TICKS = os.sysconf("SC_CLK_TCK")
TABLE = "bench_pollcost"
NOW = "UTC_TIMESTAMP(3)"
DDL = [f"DROP TABLE IF EXISTS {TABLE}",
       f"CREATE TABLE {TABLE} (dedup_key VARBINARY(512) NOT NULL, state CHAR(1) CHARACTER SET ascii NOT NULL, "
       "owner VARBINARY(128) NULL, expires_at DATETIME(3) NOT NULL, result MEDIUMBLOB NULL, "
       "created_at DATETIME(3) NOT NULL, updated_at DATETIME(3) NOT NULL, PRIMARY KEY (dedup_key), "
       f"INDEX {TABLE}_expires_idx (expires_at)) ENGINE = InnoDB"]


def server_cpu_micros():
    pid = subprocess.check_output(["pgrep", "-x", "mariadbd"]).split()[0].decode()
    with open(f"/proc/{pid}/stat") as stat:
        values = stat.read().rsplit(")", 1)[1].split()
    return (int(values[11]) + int(values[12])) * 1_000_000 // TICKS


def run(statements):
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(";\n".join(statements) + ";\n")
        path = script.name
    try:
        with open(path) as source:
            subprocess.run(["mysql", "-uroot", "-h127.0.0.1", "test"], stdin=source, check=True,
                           stdout=subprocess.DEVNULL)
    finally:
        os.unlink(path)


def plus(millis):
    return f"TIMESTAMPADD(MICROSECOND, {millis} * 1000, {NOW})"


def claim(keys, owner, state, millis, with_poll_row):
    sql = (f"INSERT INTO {TABLE} (dedup_key, state, owner, expires_at, result, created_at, updated_at) "
           f"SELECT k, '{state}', '{owner}', {plus(millis)}, NULL, {NOW}, {NOW} FROM (SELECT '{keys[0]}' AS k"
           + "".join(f" UNION ALL SELECT '{k}'" for k in keys[1:]) + ") AS new_keys")
    if with_poll_row:
        sql += f" UNION ALL SELECT CONCAT(X'01', 'poll:', '{owner}'), 'C', '{owner}', {plus(30000)}, NULL, {NOW}, {NOW}"
    return sql


def listed(keys):
    return ", ".join(f"'{k}'" for k in keys)


def mark_each(keys, owner):
    return (f"UPDATE {TABLE} FORCE INDEX (PRIMARY) SET state = 'D', result = NULL, expires_at = {plus(600000)}, "
            f"updated_at = {NOW} WHERE dedup_key IN ({listed(keys)}) AND state = 'C' AND owner = '{owner}' "
            f"AND expires_at > {NOW}")


def mark_poll(keys, owner, check_held):
    sql = (f"UPDATE {TABLE} SET state = 'D', expires_at = {plus(600000)}, updated_at = {NOW} WHERE dedup_key = "
           f"CONCAT(X'01', 'poll:', '{owner}') AND state = 'C' AND expires_at > {NOW}")
    if check_held:
        sql += (f" AND (SELECT COUNT(*) FROM (SELECT 1 FROM {TABLE} FORCE INDEX (PRIMARY) WHERE dedup_key IN "
                f"({listed(keys)}) AND state = 'P' AND owner = '{owner}') AS held) = {len(keys)}")
    return sql


CASES = {
    "the claim alone (rows of their own)": lambda keys, owner: [claim(keys, owner, "C", 30000, False)],
    "claim, then a mark per key (the per-key path)":
        lambda keys, owner: [claim(keys, owner, "C", 30000, False), mark_each(keys, owner)],
    "claim as P rows with the poll's row, mark the poll's row":
        lambda keys, owner: [claim(keys, owner, "P", 600000, True), mark_poll(keys, owner, False)],
    "the same, the mark checking that every key is still held":
        lambda keys, owner: [claim(keys, owner, "P", 600000, True), mark_poll(keys, owner, True)],
}

if __name__ == "__main__":
    print(f"mariadbd CPU µs per key, {POLLS} polls of {KEYS} new keys, {PASSES} passes")
    for label, statements_of in CASES.items():
        figures = []
        for _ in range(PASSES):
            run(DDL)
            statements = []
            for poll in range(POLLS):
                owner = f"{random.getrandbits(128):032x}"
                keys = [f"bench-run:kafka:bench-group:{poll}-{i}-{random.getrandbits(32):08x}" for i in range(KEYS)]
                statements += statements_of(keys, owner)
            before = server_cpu_micros()
            run(statements)
            figures.append((server_cpu_micros() - before) / (KEYS * POLLS))
        print(f"| {label} | " + " | ".join(f"{figure:.1f}" for figure in figures) + " |")
    run([f"DROP TABLE IF EXISTS {TABLE}"])
