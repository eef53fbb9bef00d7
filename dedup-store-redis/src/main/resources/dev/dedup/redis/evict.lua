-- evict: an operator's delete of one dedup entry, whatever its state and owner. Layout: see claim.lua; a
-- key of a poll leaves its poll's row to the poll's other keys, and a dedup 0.1 hash entry is deleted too.
-- KEYS[1] entry.
-- Returns 1 deleted, 0 absent, or what was found when the key holds something dedup did not write (left
-- untouched).
local kind = redis.call('TYPE', KEYS[1])['ok']
if kind == 'none' then
	return {0}
end
if kind == 'string' then
	local state = string.sub(redis.call('GET', KEYS[1]), 1, 2)
	if state ~= '\0C' and state ~= '\0D' and state ~= '\0R' and state ~= '\0P' then
		return {2, 'a string'}
	end
elseif kind ~= 'hash' or not redis.call('HGET', KEYS[1], 's') then
	return {2, 'a ' .. kind}
end
redis.call('DEL', KEYS[1])
return {1}
