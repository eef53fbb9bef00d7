-- complete: CONSUMING under the owner becomes CONSUMED for the retention, with the result if given.
-- KEYS[1] entry; ARGV[1] owner; ARGV[2] retention in ms; ARGV[3] result bytes, absent when none.
-- Returns 1, or 0 if the entry is not CONSUMING under this owner (absent, expired, taken over, consumed).
local entry = redis.call('HMGET', KEYS[1], 's', 'o')
if entry[1] ~= 'C' or entry[2] ~= ARGV[1] then
	return 0
end
if ARGV[3] then
	redis.call('HSET', KEYS[1], 's', 'D', 'r', ARGV[3])
else
	redis.call('HSET', KEYS[1], 's', 'D')
end
redis.call('HDEL', KEYS[1], 'o')
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
