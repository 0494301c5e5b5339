--[[
  Cancels a message that has not started: pending, delayed or waiting for a retry.
  A message in flight, dead or finished is left alone.

  Input:
    KEYS[1..4] tier lists (critical, high, normal, low)
    KEYS[5]    msgs    hash id -> body
    KEYS[6]    delayed zset id -> due time
    KEYS[7]    att     hash id -> attempts ended
    KEYS[8]    errors  hash id -> last error JSON
    KEYS[9]    stats   hash of counters
    KEYS[10..13] parked lists (critical .. low): ids of rate-limited types held back
    KEYS[14..17] group rings (critical .. low): lists of the groups served in turn (includes/groups.lua)
    KEYS[18]   grun     hash group -> its messages in flight (names the group lists' prefix)
    KEYS[19]   gqueued  hash tier -> grouped ready messages

    ARGV[1] id

  Output:
    1 when cancelled, 0 when there was nothing to cancel
]]
local tiers = {KEYS[1], KEYS[2], KEYS[3], KEYS[4]}
local msgs, delayed, att, errors, stats = KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9]
local parked = {KEYS[10], KEYS[11], KEYS[12], KEYS[13]}
local rings = {KEYS[14], KEYS[15], KEYS[16], KEYS[17]}
local grun, gqueued = KEYS[18], KEYS[19]
local groupBase = string.sub(grun, 1, -5) .. 'g:'

-- @include "header"
-- @include "counter"

local id = ARGV[1]
local body = redis.call('HGET', msgs, id)
if not body then return 0 end
if redis.call('ZREM', delayed, id) == 0 then
  local tier = readHeader(body)
  local group = string.match(body, '^1|[^|]*|[^|]*|[^|]*|[^|]*|[^|]*|%^([^|]+)|')
  if group then
    -- a grouped message waits in its group's list; an emptied list leaves the rotation (groups.lua)
    local key = groupBase .. tier .. ':' .. group
    if redis.call('LREM', key, 1, id) == 0 then return 0 end
    redis.call('HINCRBY', gqueued, tier, -1)
    if redis.call('EXISTS', key) == 0 then redis.call('LREM', rings[tier], 1, group) end
  elseif redis.call('LREM', tiers[tier], 1, id) == 0 and redis.call('LREM', parked[tier], 1, id) == 0 then
    return 0
  end
end
redis.call('HDEL', msgs, id)
redis.call('HDEL', att, id)
redis.call('HDEL', errors, id)
bump(stats, 'cancelled', 1)
return 1
