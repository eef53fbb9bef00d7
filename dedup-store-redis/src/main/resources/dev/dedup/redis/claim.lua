-- claim: each absent (or expired) entry becomes CONSUMING under the owner for the lease.
-- An entry is a string: NUL, then C and the owner (consuming), D (consumed) or R and the result bytes
-- (consumed with a result); its expiry is the lease or the retention. Entries of dedup 0.1 (hashes:
-- s = state, r = result) are still read here, so an upgrade skips what they recorded.
-- A poll's claim (ARGV[3] and ARGV[4] given; never on a cluster) writes each key as NUL P and the poll's id
-- instead, for the lease plus the retention, and the poll's row, the last of KEYS (SOH "poll:" and the id), as
-- NUL C and the owner for the lease: that row holds the lease of all its keys, and marking it CONSUMED
-- (complete-poll.lua) marks them all in one write. A key of a poll whose row is gone is none.
-- KEYS the entries: one, or a whole poll's (on a cluster, all in one hash slot), then a poll's row;
-- ARGV[1] owner; ARGV[2] lease in ms; ARGV[3] a poll's key value (NUL P id); ARGV[4] its keys' ttl in ms.
-- One script for many keys, and as few commands per key as the steps allow: the
-- server's cost is per script call and per command, far more than the work inside.
-- Returns one reply per key, in order: 0 acquired (the common case, so the plainest reply: a pair per key
-- cost the server 0.1-0.6 us more per key to build and the client a list to decode); otherwise a pair:
-- {1, nil or the result} duplicate; {2, the remaining lease in ms} in progress; {3, what was found} when the
-- key holds something dedup did not write (left untouched).
local function legacy(key)
	local found = redis.call('TYPE', key)['ok']
	if found ~= 'hash' then
		return {3, 'a ' .. found}
	end
	local entry = redis.call('HMGET', key, 's', 'r')
	if entry[1] == 'D' then
		if entry[2] then
			return {1, entry[2]}
		end
		return {1, false}
	end
	if entry[1] == 'C' then
		return {2, redis.call('PTTL', key)}
	end
	return {3, 'a hash with state ' .. tostring(entry[1])}
end

local owner = '\0C' .. ARGV[1]
local claimed, ttl, entries = owner, ARGV[2], #KEYS
local row, rowIsNew = nil, false
if ARGV[3] then
	claimed, ttl, entries, row = ARGV[3], ARGV[4], #KEYS - 1, KEYS[#KEYS]
	local held = redis.call('GET', row)
	if held and held ~= owner then
		return redis.error_reply('ERR a dedup poll row with this id belongs to another owner')
	end
	if not held then
		redis.call('SET', row, owner, 'PX', ARGV[2])
		rowIsNew = true
	end
end

-- A poll's key (NUL P id): its poll's row, and what that row holds (nil once the poll's lease ran out).
local function pollOf(value)
	local pollRow = '\1poll:' .. string.sub(value, 3)
	return pollRow, redis.call('GET', pollRow)
end

local acquired = 0
-- A table only for the rare answers, and redis.pcall rather than pcall: each costs the server per key.
local replies = {}
for i = 1, entries do
	local key = KEYS[i]
	-- One command for the common case, a new id: SET NX GET (Redis 7.0) writes the claim where nothing is and
	-- answers what was there otherwise. A GET, then a SET, cost the server 0.4-0.7 us more per key.
	local value = redis.pcall('SET', key, claimed, 'NX', 'PX', ttl, 'GET')
	local code, detail = 3, 'a string'
	if not value then
		code, detail = 0, false
	elseif type(value) == 'table' then
		if not string.find(value['err'], 'WRONGTYPE', 1, true) then
			return redis.error_reply(value['err'] .. ' (the dedup store needs Redis 7.0 or later)')
		end
		code, detail = unpack(legacy(key))
	else
		local state = string.sub(value, 1, 2)
		if state == '\0D' then
			code, detail = 1, false
		elseif state == '\0R' then
			code, detail = 1, string.sub(value, 3)
		elseif state == '\0C' then
			code, detail = 2, redis.call('PTTL', key)
		elseif state == '\0P' then
			local pollRow, held = pollOf(value)
			if not held then
				-- Its poll's lease ran out: the key is free.
				redis.call('SET', key, claimed, 'PX', ttl)
				code, detail = 0, false
			elseif string.sub(held, 1, 2) == '\0D' then
				code, detail = 1, false
			else
				code, detail = 2, redis.call('PTTL', pollRow)
			end
		end
	end
	if code == 0 then
		replies[i] = 0
		acquired = acquired + 1
	else
		replies[i] = {code, detail}
	end
end
if rowIsNew and acquired == 0 then
	redis.call('DEL', row) -- a poll of duplicates holds nothing
end
return replies
