-- release: each entry CONSUMING under the owner is deleted, so a redelivery can claim it at once.
-- KEYS the entries (on a cluster, all in one hash slot); ARGV[1] owner. Layout: see claim.lua; a key of a
-- poll is held while its poll's row is CONSUMING under the owner.
-- Returns one reply per key, in order: 1, or 0 if the entry is not CONSUMING under this owner.
local claimed = '\0C' .. ARGV[1]
local replies = {}
for i, key in ipairs(KEYS) do
	local value = redis.pcall('GET', key)
	if value == claimed or (type(value) == 'string' and string.sub(value, 1, 2) == '\0P'
			and redis.call('GET', '\1poll:' .. string.sub(value, 3)) == claimed) then
		redis.call('DEL', key)
		replies[i] = 1
	else
		replies[i] = 0
	end
end
return replies
