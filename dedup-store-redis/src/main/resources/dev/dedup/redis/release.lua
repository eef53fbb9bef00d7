-- release: CONSUMING under the owner is deleted, so a redelivery can claim it at once.
-- KEYS[1] entry; ARGV[1] owner.
-- Returns 1, or 0 if the entry is not CONSUMING under this owner.
local entry = redis.call('HMGET', KEYS[1], 's', 'o')
if entry[1] ~= 'C' or entry[2] ~= ARGV[1] then
	return 0
end
redis.call('DEL', KEYS[1])
return 1
