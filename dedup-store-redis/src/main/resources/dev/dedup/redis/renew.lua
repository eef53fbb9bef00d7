-- renew: CONSUMING under the owner stays CONSUMING for a new lease, counted from now.
-- KEYS[1] entry; ARGV[1] owner; ARGV[2] lease in ms. Layout: see claim.lua.
-- Returns 1, or 0 if the entry is not CONSUMING under this owner (the lease was lost).
local value = redis.pcall('GET', KEYS[1])
if value ~= '\0C' .. ARGV[1] then
	return 0
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
