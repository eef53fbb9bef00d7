#!/usr/bin/env python3
"""Redis' own time per script call (INFO commandstats: usec per EVALSHA) by the number of keys it carries, and
for calls that come one at a time with a gap between them, as a slow listener's marks do.

Run from the repository root against an otherwise idle Redis (it calls FLUSHALL at the end):
    python3 benchmarks/scripts/redis-call-costs.py [host] [port]
The client is a bare RESP socket, one call at a time. See docs/BENCHMARKS.md.
"""
import sys
import time

from resp import Connection

HOST = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 6379
OWNER = "7f3a9c2e4b1d4e8a9f00123456789abc"  # as long as dedup's owners
SCRIPTS = "dedup-store-redis/src/main/resources/dev/dedup/redis/"

call = Connection(HOST, PORT).call


def micros_per_evalsha():
    for line in call("INFO", "commandstats").decode().split("\r\n"):
        if line.startswith("cmdstat_evalsha:"):
            fields = dict(field.split("=") for field in line.split(":", 1)[1].split(","))
            return int(fields["usec"]) / int(fields["calls"])
    return float("nan")


def measure(name, sha, keys, argv, calls, gap=0.0):
    call("CONFIG", "RESETSTAT")
    for i in range(calls):
        call("EVALSHA", sha, keys, *["call-cost:%s:%d:%s:%d:%d" % (name, keys, gap, i, j) for j in range(keys)], *argv)
        if gap:
            time.sleep(gap)
    per_call = micros_per_evalsha()
    print("%-10s %3d keys, %3.1f ms apart: %7.1f us per call, %5.2f per key" % (name, keys, gap * 1000, per_call,
                                                                                per_call / keys))


TRIVIAL = call("SCRIPT", "LOAD", "return 1").decode()
FLOOR_CLAIM = call("SCRIPT", "LOAD", "local r = {} for i, k in ipairs(KEYS) do "
                   "r[i] = redis.call('SET', k, 'C', 'NX', 'PX', ARGV[1]) and 1 or 0 end return r").decode()
CLAIM = call("SCRIPT", "LOAD", open(SCRIPTS + "claim.lua").read()).decode()

for name, sha, argv in (("return 1", TRIVIAL, ()), ("SET NX PX", FLOOR_CLAIM, (30000,)),
                        ("claim.lua", CLAIM, (OWNER, 30000))):
    for keys in (1, 3, 500):
        measure(name, sha, keys, argv, 2000 if keys < 500 else 200)
for gap in (0.0005, 0.002):
    measure("claim.lua", CLAIM, 3, (OWNER, 30000), 2000, gap)
call("FLUSHALL")
