-- complete: each entry CONSUMING under the owner becomes CONSUMED for the retention, with the result if given.
-- KEYS the entries (on a cluster, all in one hash slot); ARGV[1] owner; ARGV[2] retention in ms;
-- ARGV[3] result bytes, absent when none (given with one key only). Layout: see claim.lua; a key of a poll is
-- held while its poll's row is CONSUMING under the owner, and leaves the poll here (complete-poll.lua marks
-- the rest).
-- Returns one reply per key, in order: 1, or 0 if the entry is not CONSUMING under this owner (absent,
-- expired, taken over, consumed, or not a dedup entry).
local claimed = '\0C' .. ARGV[1]
local consumed = ARGV[3] and ('\0R' .. ARGV[3]) or '\0D'
local replies = {}
for i, key in ipairs(KEYS) do
	local value = redis.pcall('GET', key)
	if value == claimed or (type(value) == 'string' and string.sub(value, 1, 2) == '\0P'
			and redis.call('GET', '\1poll:' .. string.sub(value, 3)) == claimed) then
		redis.call('SET', key, consumed, 'PX', ARGV[2])
		replies[i] = 1
	else
		replies[i] = 0
	end
end
return replies
