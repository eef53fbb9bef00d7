-- inspect: reads an entry without changing it (no write, no expiry moved). Layout: see claim.lua; a key of a
-- poll has its poll's row's state, and a dedup 0.1 hash entry is read too.
-- KEYS[1] entry.
-- Returns {} when absent or expired, else {state, remaining ttl in ms, owner or nil, result or nil};
-- {'?', ttl} for something dedup did not write.
local ok, value = pcall(redis.call, 'GET', KEYS[1])
if not ok then
	local entry = redis.call('HMGET', KEYS[1], 's', 'o', 'r')
	if not entry[1] then
		return {'?', redis.call('PTTL', KEYS[1])}
	end
	return {entry[1], redis.call('PTTL', KEYS[1]), entry[2], entry[3]}
end
if not value then
	return {}
end
local state = string.sub(value, 1, 2)
local ttl = redis.call('PTTL', KEYS[1])
if state == '\0C' then
	return {'C', ttl, string.sub(value, 3)}
elseif state == '\0D' then
	return {'D', ttl}
elseif state == '\0R' then
	return {'D', ttl, false, string.sub(value, 3)}
elseif state == '\0P' then
	local row = '\1poll:' .. string.sub(value, 3)
	local held = redis.call('GET', row)
	if not held then
		return {}
	end
	local rowTtl = redis.call('PTTL', row)
	if string.sub(held, 1, 2) == '\0C' then
		return {'C', rowTtl, string.sub(held, 3)}
	end
	return {'D', math.min(ttl, rowTtl)}
end
return {'?', ttl}
