#!/usr/bin/env python3
"""Redis' own CPU per key for the ways a claim or a mark can be written, in scripts of 500 keys.

Run from the repository root against an otherwise idle Redis (it calls FLUSHALL between cases):
    python3 benchmarks/scripts/redis-claim-costs.py [host] [port]
Redis CPU is read from INFO cpu (used_cpu_user + used_cpu_sys) before and after each case; the client is a
bare RESP socket, so the figures are the server's and not this script's. See docs/BENCHMARKS.md.
"""
import sys
import zlib

from resp import Connection, encode

HOST = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 6379
BATCH, BATCHES = 500, 200
OWNER = "7f3a9c2e4b1d4e8a9f00123456789abc"  # as long as dedup's owners (128 random bits in hex)
SCRIPTS = "dedup-store-redis/src/main/resources/dev/dedup/redis/"

connection = Connection(HOST, PORT)
call = connection.call


def redis_cpu_seconds():
    info = call("INFO", "cpu").decode()
    fields = dict(line.split(":", 1) for line in info.split("\r\n") if ":" in line)
    return float(fields["used_cpu_user"]) + float(fields["used_cpu_sys"])


def load(source):
    return call("SCRIPT", "LOAD", source).decode()


FLOOR_CLAIM = load("local r = {} for i, k in ipairs(KEYS) do "
                   "r[i] = redis.call('SET', k, 'C', 'NX', 'PX', ARGV[1]) and 1 or 0 end return r")
FLOOR_MARK = load("for i, k in ipairs(KEYS) do redis.call('SET', k, 'D', 'PX', ARGV[1]) end return #KEYS")
CLAIM = load(open(SCRIPTS + "claim.lua").read())
COMPLETE = load(open(SCRIPTS + "complete.lua").read())
# Not what the store does: a claim into hash buckets (the lease in the value), and a mark in one command.
BUCKET_CLAIM = load("""local now = redis.call('TIME') local t = now[1] * 1000 + math.floor(now[2] / 1000)
local r = {} for i, k in ipairs(KEYS) do r[i] = redis.call('HSETNX', k, ARGV[i + 2], 'C' .. ARGV[1] .. ':' .. (t + ARGV[2])) end
return r""")
ONE_COMMAND_MARK = load(r"""local owner = '\0' .. ARGV[1] local r = {}
for i, key in ipairs(KEYS) do
  local old = redis.pcall('SET', key, '\0D', 'XX', 'KEEPTTL', 'GET')
  if old and string.sub(old, -#owner) == owner then r[i] = 1
  else if old then redis.call('SET', key, old, 'XX', 'KEEPTTL') end r[i] = 0 end
end return r""")
# Not what the store does either: the fewest script calls a claim can make, the poll's ids grouped into 16
# hash buckets, one HMGET and one HSET of the absent ids per bucket (no per-id expiry: a sweeper would have to
# delete lapsed fields).
VARIADIC_BUCKET_CLAIM = load("""local now = redis.call('TIME') local t = now[1] * 1000 + math.floor(now[2] / 1000)
local value = 'C' .. ARGV[1] .. ':' .. (t + ARGV[2]) local r, at = {}, 3
for b, bucket in ipairs(KEYS) do
  local n = tonumber(ARGV[at]) local fields = {} for i = 1, n do fields[i] = ARGV[at + i] end
  local old = redis.call('HMGET', bucket, unpack(fields)) local put = {}
  for i = 1, n do if not old[i] then put[#put + 1] = fields[i] put[#put + 1] = value r[#r + 1] = 1 else r[#r + 1] = 0 end end
  if #put > 0 then redis.call('HSET', bucket, unpack(put)) end
  at = at + n + 1
end return r""")
# The claim value the one-command mark expects: the lease deadline in the value, the owner at its end.
ONE_COMMAND_CLAIM = load(r"""local r = {} for i, k in ipairs(KEYS) do
r[i] = redis.call('SET', k, '\0L1700000000000\0' .. ARGV[1], 'NX', 'PX', ARGV[2]) and 1 or 0 end return r""")


def keys(batch):
    return ["dedup:kafka:bench-group:%08d" % (batch * BATCH + i) for i in range(BATCH)]


def ids(batch):
    return ["%08d" % (batch * BATCH + i) for i in range(BATCH)]


def evalsha(sha, batch_keys, *argv):
    return call("EVALSHA", sha, len(batch_keys), *batch_keys, *argv)


def measure(name, step, prepare=None):
    call("FLUSHALL")
    if prepare:
        for batch in range(BATCHES):
            prepare(batch)
    before = redis_cpu_seconds()
    for batch in range(BATCHES):
        step(batch)
    per_key = (redis_cpu_seconds() - before) * 1e6 / (BATCH * BATCHES)
    print("%-52s %5.2f us of Redis CPU per key" % (name, per_key))


def bucket_keys(batch):
    return ["{dedup}:bucket:%d" % (zlib.crc32(i.encode()) % 4096) for i in ids(batch)]


def variadic_buckets(batch, buckets=16):
    grouped = {}
    for i in ids(batch):
        grouped.setdefault(zlib.crc32(i.encode()) % buckets, []).append(i)
    names, argv = [], []
    for bucket, members in sorted(grouped.items()):
        names.append("{dedup}:bucket:%d" % bucket)
        argv += [len(members), *members]
    return names, argv


def pipelined(batch_keys, *command):
    """One native command per key, all written at once and their replies read after: no script at all."""
    connection.sock.sendall(b"".join(encode(command[0], key, *command[1:]) for key in batch_keys))
    return [connection.read() for _ in batch_keys]


def evalsha_buckets(sha, batch):
    names, argv = variadic_buckets(batch)
    return call("EVALSHA", sha, len(names), *names, OWNER, 30000, *argv)


for _ in range(2):
    measure("claim, floor: SET NX PX", lambda b: evalsha(FLOOR_CLAIM, keys(b), 30000))
    measure("claim, dedup's claim.lua: SET NX PX GET", lambda b: evalsha(CLAIM, keys(b), OWNER, 30000))
    measure("claim, native and pipelined: SET NX PX GET per key",
            lambda b: pipelined(keys(b), "SET", "\0C" + OWNER, "NX", "PX", 30000, "GET"))
    measure("claim into 4,096 hash buckets: HSETNX",
            lambda b: evalsha(BUCKET_CLAIM, bucket_keys(b), OWNER, 30000, *ids(b)))
    measure("claim into 16 hash buckets: HMGET + HSET per bucket",
            lambda b: evalsha_buckets(VARIADIC_BUCKET_CLAIM, b))
    measure("mark, floor: SET PX", lambda b: evalsha(FLOOR_MARK, keys(b), 600000),
            lambda b: evalsha(FLOOR_CLAIM, keys(b), 30000))
    measure("mark, dedup's complete.lua: GET, compare, SET PX", lambda b: evalsha(COMPLETE, keys(b), OWNER, 600000),
            lambda b: evalsha(CLAIM, keys(b), OWNER, 30000))
    measure("mark in one command: SET XX KEEPTTL GET", lambda b: evalsha(ONE_COMMAND_MARK, keys(b), OWNER),
            lambda b: evalsha(ONE_COMMAND_CLAIM, keys(b), OWNER, 600000))
