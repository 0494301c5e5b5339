--[[
  The groups of a queue for operators (read-only; no message step reads it): the first ARGV[1]
  groups of each tier's ring, the blocked groups and the groups with messages in flight, each with
  its ready messages per tier, its messages in flight, whether it is blocked, and the creation time
  of the oldest message at the heads of its lists. The group lists `g:<tier>:<group>` are named from
  the queue's base (as includes/groups.lua does): they share the queue's hash slot.

  Input:
    KEYS[1..4] group rings (critical .. low): lists of the groups served in turn
    KEYS[5]    grun     hash group -> its messages in flight
    KEYS[6]    gblocked set of the groups at their concurrency limit
    KEYS[7]    msgs     hash id -> body

    ARGV[1]    most ring members read per tier

  Output:
    { {group, ready critical, high, normal, low, in flight, blocked (0/1), oldest createdAt (ms, -1: none)}, ... },
    more (1: a ring had more members than were read)
]]
-- @include "oldest-head"

local groupBase = string.sub(KEYS[5], 1, -5) .. 'g:'
local max = tonumber(ARGV[1]) or 0
local seen = {}
local names = {}
local more = 0
local function add(group)
  if group ~= '~' and not seen[group] then
    seen[group] = true
    names[#names + 1] = group
  end
end
for tier = 1, 4 do
  if max > 0 then
    for _, g in ipairs(redis.call('LRANGE', KEYS[tier], 0, max - 1)) do add(g) end
  end
  if redis.call('LLEN', KEYS[tier]) > max then more = 1 end
end
for _, g in ipairs(redis.call('SMEMBERS', KEYS[6])) do add(g) end
local running = redis.call('HGETALL', KEYS[5])
local runningOf = {}
for i = 1, #running, 2 do
  runningOf[running[i]] = tonumber(running[i + 1]) or 0
  add(running[i])
end
local out = {}
for _, g in ipairs(names) do
  local row = { g }
  local oldest = -1
  for tier = 1, 4 do
    local key = groupBase .. tier .. ':' .. g
    row[#row + 1] = redis.call('LLEN', key)
    oldest = olderOf(oldest, headCreatedAt(key, KEYS[7]))
  end
  row[#row + 1] = runningOf[g] or 0
  row[#row + 1] = redis.call('SISMEMBER', KEYS[6], g)
  row[#row + 1] = oldest
  out[#out + 1] = row
end
return { out, more }
