--[[
  Per tier, the creation time of the message waiting longest (read-only; operator tools): the
  oldest of the heads of the tier list, of its parked list (held back by a rate limit), of the
  group lists of the first ARGV[1] groups of its ring and of the lists of the blocked groups (one
  LINDEX and one HGET per list). A group further down a longer ring is not looked at. The group
  lists `g:<tier>:<group>` are named from the queue's base (as includes/groups.lua does).

  Input:
    KEYS[1..4]   tier lists (critical .. low)
    KEYS[5..8]   parked lists (critical .. low)
    KEYS[9..12]  group rings (critical .. low): lists of the groups served in turn
    KEYS[13]     gblocked set of the groups at their concurrency limit
    KEYS[14]     msgs     hash id -> body

    ARGV[1]      most ring members looked at per tier

  Output:
    { oldest createdAt critical, high, normal, low (ms, -1: nothing waits) }
]]
-- @include "oldest-head"

local groupBase = string.sub(KEYS[13], 1, -9) .. 'g:'
local max = tonumber(ARGV[1]) or 0
local blocked = redis.call('SMEMBERS', KEYS[13])
local out = {}
for tier = 1, 4 do
  local oldest = olderOf(headCreatedAt(KEYS[tier], KEYS[14]), headCreatedAt(KEYS[4 + tier], KEYS[14]))
  if max > 0 then
    for _, g in ipairs(redis.call('LRANGE', KEYS[8 + tier], 0, max - 1)) do
      if g ~= '~' then oldest = olderOf(oldest, headCreatedAt(groupBase .. tier .. ':' .. g, KEYS[14])) end
    end
  end
  for _, g in ipairs(blocked) do
    oldest = olderOf(oldest, headCreatedAt(groupBase .. tier .. ':' .. g, KEYS[14]))
  end
  out[tier] = oldest
end
return out
