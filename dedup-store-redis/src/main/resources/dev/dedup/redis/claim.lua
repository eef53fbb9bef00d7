-- claim: an absent (or expired) entry becomes CONSUMING under the owner for the lease.
-- The entry is a hash: s = state (C consuming, D consumed), o = owner, r = result bytes.
-- KEYS[1] entry; ARGV[1] owner; ARGV[2] lease in ms.
-- Returns {0} acquired, {1} or {1, result} duplicate, {2, remaining lease in ms} in progress,
-- {3, what was found} when the key holds something dedup did not write (left untouched).
local ok, state = pcall(redis.call, 'HGET', KEYS[1], 's')
if not ok then
	return {3, 'a ' .. redis.call('TYPE', KEYS[1])['ok']}
end
if not state then
	redis.call('HSET', KEYS[1], 's', 'C', 'o', ARGV[1])
	redis.call('PEXPIRE', KEYS[1], ARGV[2])
	return {0}
end
if state == 'D' then
	local result = redis.call('HGET', KEYS[1], 'r')
	if result then
		return {1, result}
	end
	return {1}
end
if state == 'C' then
	return {2, redis.call('PTTL', KEYS[1])}
end
return {3, 'a hash with state ' .. state}
