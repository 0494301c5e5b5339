--[[
  Puts deliveries back without counting their attempt (graceful close, a type this worker has no
  handler for): to the head of their tier in their original order, or delayed by ARGV[1] ms.

  Input:
    KEYS[1..4] tier lists (critical, high, normal, low)
    KEYS[5]    msgs      hash id -> body
    KEYS[6]    inflight  zset id -> lease deadline
    KEYS[7]    delayed   zset id -> due time
    KEYS[8]    leases    hash id -> lease token (and the fetches' records, includes/fetch-record.lua)
    KEYS[9]    wake      wake-up list
    KEYS[10..13] group rings (critical .. low): lists of the groups served in turn (includes/groups.lua)
    KEYS[14]   grun      hash group -> its messages in flight
    KEYS[15]   gblocked  set of the groups at their concurrency limit
    KEYS[16]   gqueued   hash tier -> grouped ready messages
    KEYS[17]   meta      hash (grouped flag)

    ARGV[1] delay in ms (0: ready at once)
    ARGV[2] n
    then 2 per delivery: id, lease token

  Output:
    number of deliveries put back

  The records of the fetches named by the lease tokens are forgotten (their replies arrived).
]]
local tiers = {KEYS[1], KEYS[2], KEYS[3], KEYS[4]}
local msgs, inflight, delayed, leases, wake = KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9]
local rings = {KEYS[10], KEYS[11], KEYS[12], KEYS[13]}
local grun, gblocked, gqueued, meta = KEYS[14], KEYS[15], KEYS[16], KEYS[17]

-- @include "now"
-- @include "header"
-- @include "tier-push"
-- @include "wake"
-- @include "groups"
-- @include "ready-push"
-- @include "oom-guard"
-- @include "fetch-record"

local now = nowMs()
oomGuard(leases)
local delay = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local tokens = {}
for i = 0, n - 1 do tokens[#tokens + 1] = ARGV[4 + i * 2] end
forgetFetches(tokens)
local released = 0
-- last to first, so LPUSH leaves them at the head in their original order
for i = n - 1, 0, -1 do
  local id = ARGV[3 + i * 2]
  if redis.call('HGET', leases, id) == ARGV[4 + i * 2] then
    redis.call('ZREM', inflight, id)
    redis.call('HDEL', leases, id)
    released = released + 1
    local body = redis.call('HGET', msgs, id)
    local group = groupOf(body)
    if group then groupEnded(group, 1) end
    if delay > 0 then
      redis.call('ZADD', delayed, now + delay, id)
    else
      readyPush('LPUSH', readHeader(body), id, body)
    end
  end
end
if released > 0 then
  wakeOne()
end
return released
