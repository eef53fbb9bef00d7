-- complete-poll: a poll's row CONSUMING under the owner becomes CONSUMED for the retention, which marks every
-- key still in that poll CONSUMED in this one write. Layout: see claim.lua.
-- KEYS[1] the poll's row; ARGV[1] owner; ARGV[2] retention in ms.
-- Returns 1, or 0 if the row is not CONSUMING under this owner (the poll's lease was lost).
if redis.call('GET', KEYS[1]) ~= '\0C' .. ARGV[1] then
	return 0
end
redis.call('SET', KEYS[1], '\0D', 'PX', ARGV[2])
return 1
