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

    ARGV[1] id

  Output:
    1 when cancelled, 0 when there was nothing to cancel
]]
local tiers = {KEYS[1], KEYS[2], KEYS[3], KEYS[4]}
local msgs, delayed, att, errors, stats = KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9]
local parked = {KEYS[10], KEYS[11], KEYS[12], KEYS[13]}

-- @include "header"
-- @include "counter"

local id = ARGV[1]
local body = redis.call('HGET', msgs, id)
if not body then return 0 end
if redis.call('ZREM', delayed, id) == 0 then
  local tier = readHeader(body)
  if redis.call('LREM', tiers[tier], 1, id) == 0 and redis.call('LREM', parked[tier], 1, id) == 0 then return 0 end
end
redis.call('HDEL', msgs, id)
redis.call('HDEL', att, id)
redis.call('HDEL', errors, id)
bump(stats, 'cancelled', 1)
return 1
