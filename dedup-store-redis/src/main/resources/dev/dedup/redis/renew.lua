-- renew: CONSUMING under the owner stays CONSUMING for a new lease, counted from now.
-- KEYS[1] entry; ARGV[1] owner; ARGV[2] lease in ms. Layout: see claim.lua. A key of a poll renews its poll's
-- row, the lease of all its keys, and lives at least that long itself: its own expiry (the first lease plus
-- the retention) may be nearer when the work runs long.
-- Returns 1, or 0 if the entry is not CONSUMING under this owner (the lease was lost).
local claimed = '\0C' .. ARGV[1]
local value = redis.pcall('GET', KEYS[1])
if value == claimed then
	redis.call('PEXPIRE', KEYS[1], ARGV[2])
	return 1
end
if type(value) ~= 'string' or string.sub(value, 1, 2) ~= '\0P' then
	return 0
end
local row = '\1poll:' .. string.sub(value, 3)
if redis.call('GET', row) ~= claimed then
	return 0
end
redis.call('PEXPIRE', row, ARGV[2])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then
	redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1
