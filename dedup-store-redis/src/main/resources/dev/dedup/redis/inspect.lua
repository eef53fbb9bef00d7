-- inspect: reads an entry without changing it (no write, no expiry moved).
-- KEYS[1] entry.
-- Returns {} when absent or expired, else {state, remaining ttl in ms, owner or nil, result or nil}.
local entry = redis.call('HMGET', KEYS[1], 's', 'o', 'r')
if not entry[1] then
	return {}
end
return {entry[1], redis.call('PTTL', KEYS[1]), entry[2], entry[3]}
