--[[
  Ends a failed (or undeliverable) delivery: schedule a retry, dead-letter it, or drop it.
  Ignored when the delivery is stale (no longer in flight under this lease token).

  Input:
    KEYS[1..4] tier lists (critical, high, normal, low)
    KEYS[5]    msgs      hash id -> body
    KEYS[6]    inflight  zset id -> lease deadline
    KEYS[7]    delayed   zset id -> due time
    KEYS[8]    att       hash id -> attempts ended
    KEYS[9]    errors    hash id -> last error JSON
    KEYS[10]   dlq       zset id -> dead time
    KEYS[11]   dlqinfo   hash id -> dead-letter info JSON
    KEYS[12]   stats     hash of counters
    KEYS[13]   wake      wake-up list
    KEYS[14]   leases    hash id -> lease token (and the fetches' records, includes/fetch-record.lua)
    KEYS[15..18] group rings (critical .. low): lists of the groups served in turn (includes/groups.lua)
    KEYS[19]   grun      hash group -> its messages in flight
    KEYS[20]   gblocked  set of the groups at their concurrency limit
    KEYS[21]   gqueued   hash tier -> grouped ready messages
    KEYS[22]   meta      hash (grouped flag)

    ARGV[1] id
    ARGV[2] attempt (of this delivery)
    ARGV[3] 'retry' | 'dead' | 'drop'
    ARGV[4] retry delay in ms (retry)
    ARGV[5] last error JSON (retry) or dead-letter info JSON (dead)
    ARGV[6] '1' when the attempt counts as failed in stats
    ARGV[7] dead-letter max size
    ARGV[8] dead-letter max age in ms
    ARGV[9] lease token of this delivery

  Output:
    1 when applied, 0 when the delivery was stale

  The record of the fetch that took the delivery is forgotten either way (its reply arrived).
]]
local tiers = {KEYS[1], KEYS[2], KEYS[3], KEYS[4]}
local msgs, inflight, delayed, att, errors = KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9]
local dlq, dlqinfo, stats, wake, leases = KEYS[10], KEYS[11], KEYS[12], KEYS[13], KEYS[14]
local rings = {KEYS[15], KEYS[16], KEYS[17], KEYS[18]}
local grun, gblocked, gqueued, meta = KEYS[19], KEYS[20], KEYS[21], KEYS[22]

-- @include "now"
-- @include "counter"
-- @include "header"
-- @include "tier-push"
-- @include "key-types"
-- @include "wake"
-- @include "dead-letter"
-- @include "groups"
-- @include "ready-push"
-- @include "oom-guard"
-- @include "fetch-record"

local id = ARGV[1]
local attempt = tonumber(ARGV[2])
-- before the stale check: a stale delivery's fetch got its reply all the same
forgetFetches({ ARGV[9] })
if redis.call('HGET', leases, id) ~= ARGV[9] then
  return 0
end
assertTypes({ inflight, 'zset', att, 'hash', errors, 'hash', delayed, 'zset', msgs, 'hash', dlq, 'zset', dlqinfo, 'hash' })
local now = nowMs()
oomGuard(leases)
redis.call('ZREM', inflight, id)
redis.call('HDEL', leases, id)
if ARGV[6] == '1' then
  bump(stats, 'failed', 1)
end
local body = redis.call('HGET', msgs, id)
local group = groupOf(body)
if group then groupEnded(group, 1) end

local kind = ARGV[3]
if kind == 'retry' then
  redis.call('HSET', att, id, attempt)
  redis.call('HSET', errors, id, ARGV[5])
  bump(stats, 'retried', 1)
  local delay = tonumber(ARGV[4])
  if delay > 0 then
    redis.call('ZADD', delayed, now + delay, id)
  else
    readyPush('RPUSH', readHeader(body), id, body)
  end
  wakeOne()
elseif kind == 'dead' then
  redis.call('HSET', att, id, attempt)
  deadLetter(id, ARGV[5], now, tonumber(ARGV[7]), tonumber(ARGV[8]))
else
  dropMessage(id)
end
return 1
