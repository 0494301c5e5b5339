--[[
  Moves dead letters back to the tail of their tier with attempts reset. An entry without a
  valid body cannot run again and is deleted instead.

  Input:
    KEYS[1..4] tier lists (critical, high, normal, low)
    KEYS[5]    msgs    hash id -> body
    KEYS[6]    att     hash id -> attempts ended
    KEYS[7]    errors  hash id -> last error JSON
    KEYS[8]    dlq     zset id -> dead time
    KEYS[9]    dlqinfo hash id -> dead-letter info JSON
    KEYS[10]   stats   hash of counters
    KEYS[11]   wake    wake-up list
    KEYS[12..15] group rings (critical .. low): lists of the groups served in turn (includes/groups.lua)
    KEYS[16]   grun      hash group -> its messages in flight
    KEYS[17]   gblocked  set of the groups at their concurrency limit
    KEYS[18]   gqueued   hash tier -> grouped ready messages
    KEYS[19]   meta      hash (grouped flag)

    ARGV[1] limit: with no ids, replay up to this many of the oldest
    ARGV[2..] ids (optional)

  Output:
    array of replayed ids
]]
local tiers = {KEYS[1], KEYS[2], KEYS[3], KEYS[4]}
local msgs, att, errors, dlq, dlqinfo, stats, wake = KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10], KEYS[11]
local rings = {KEYS[12], KEYS[13], KEYS[14], KEYS[15]}
local grun, gblocked, gqueued, meta = KEYS[16], KEYS[17], KEYS[18], KEYS[19]

-- @include "header"
-- @include "tier-push"
-- @include "key-types"
-- @include "counter"
-- @include "wake"
-- @include "groups"
-- @include "ready-push"
-- @include "dead-letter-ids"

local ids = deadLetterIds(tonumber(ARGV[1]), {unpack(ARGV, 2)})
assertTypes({ dlqinfo, 'hash', att, 'hash', errors, 'hash', msgs, 'hash' })
local replayed = {}
for _, id in ipairs(ids) do
  if redis.call('ZREM', dlq, id) == 1 then
    redis.call('HDEL', dlqinfo, id)
    redis.call('HDEL', att, id)
    redis.call('HDEL', errors, id)
    local body = redis.call('HGET', msgs, id)
    local tier, maxRetries = readHeader(body)
    if maxRetries >= 0 then
      readyPush('RPUSH', tier, id, body)
      replayed[#replayed + 1] = id
    else
      redis.call('HDEL', msgs, id)
    end
  end
end
if #replayed > 0 then
  bump(stats, 'replayed', #replayed)
  wakeOne()
end
return replayed
