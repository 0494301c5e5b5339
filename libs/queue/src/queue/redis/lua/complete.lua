--[[
  Acknowledges a batch of finished deliveries: each leaves the in-flight set and the message
  hash, and its result record is kept within the completed-retention bounds.
  A delivery that is no longer in flight under its lease token (its lease expired or it was put
  back, and it may have been delivered again; or the message is unknown) is left alone and
  reported as stale.

  Input:
    KEYS[1] msgs     hash id -> body
    KEYS[2] inflight zset id -> lease deadline
    KEYS[3] leases   hash id -> lease token (and the fetches' records, includes/fetch-record.lua)
    KEYS[4] att      hash id -> attempts ended
    KEYS[5] errors   hash id -> last error JSON
    KEYS[6] done     zset id -> finished time
    KEYS[7] results  hash id -> result record JSON
    KEYS[8] stats    hash of counters
    KEYS[9..12] group rings (critical .. low): lists of the groups served in turn (includes/groups.lua)
    KEYS[13] grun     hash group -> its messages in flight
    KEYS[14] gblocked set of the groups at their concurrency limit
    KEYS[15] gqueued  hash tier -> grouped ready messages
    KEYS[16] meta     hash (grouped flag)
    KEYS[17] wake     wake-up list

    ARGV[1] completed results to keep (0: none)
    ARGV[2] completed results max age in ms
    ARGV[3] n (<= 1000)
    then the n deliveries in runs that share a lease token (the deliveries of one fetch share it):
      per run: lease token, m (deliveries in the run), then 2 per delivery: id, result record ('' for none)
    then (optional) k, and k pairs: position (1-based) of a grouped delivery, its group; the group's
      in-flight count goes down for those that were not stale (the store knows them from the fetch)

  Output:
    array of the positions (1-based) of the stale deliveries

  The records of the fetches named by the lease tokens are forgotten (their replies arrived).
]]
local msgs, inflight, leases, att, errors = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local done, results, stats = KEYS[6], KEYS[7], KEYS[8]
local rings = {KEYS[9], KEYS[10], KEYS[11], KEYS[12]}
local grun, gblocked, gqueued, meta, wake = KEYS[13], KEYS[14], KEYS[15], KEYS[16], KEYS[17]

-- @include "now"
-- @include "counter"
-- @include "groups"
-- @include "oom-guard"
-- @include "fetch-record"

local keep = tonumber(ARGV[1])
oomGuard(leases)
local n = tonumber(ARGV[3])
local now = nowMs()
local stale = {}
local ok = {}
local zargs, hargs = {}, {}

local ids, records, wanted = {}, {}, {}
local runTokens = {}
local i, at = 0, 4
while i < n do
  local token, m = ARGV[at], tonumber(ARGV[at + 1])
  runTokens[#runTokens + 1] = token
  at = at + 2
  for _ = 1, m do
    i = i + 1
    ids[i], records[i], wanted[i] = ARGV[at], ARGV[at + 1], token
    at = at + 2
  end
end
local groupCount = tonumber(ARGV[at] or '0') or 0
local tokens = redis.call('HMGET', leases, unpack(ids))
local endedAll = redis.call('HMGET', att, unpack(ids))
local hadAttempts = {}
for i = 1, n do
  local id = ids[i]
  if tokens[i] == wanted[i] then
    ok[#ok + 1] = id
    if endedAll[i] then hadAttempts[#hadAttempts + 1] = id end
    if keep > 0 then
      zargs[#zargs + 1] = now
      zargs[#zargs + 1] = id
      hargs[#hargs + 1] = id
      hargs[#hargs + 1] = records[i]
    end
  else
    stale[#stale + 1] = i
  end
end
if #hadAttempts > 0 then
  redis.call('HDEL', att, unpack(hadAttempts))
  redis.call('HDEL', errors, unpack(hadAttempts))
end

if #ok > 0 then
  for i = 1, #ok, 1000 do
    local last = math.min(i + 999, #ok)
    redis.call('ZREM', inflight, unpack(ok, i, last))
    if i == 1 then
      -- with the records of the fetches named (one HDEL: this is every worker's hot path)
      redis.call('HDEL', leases, unpack(fetchRecordFields(runTokens, ok, i, last)))
    else
      redis.call('HDEL', leases, unpack(ok, i, last))
    end
    redis.call('HDEL', msgs, unpack(ok, i, last))
  end
  bump(stats, 'processed', #ok)
else
  forgetFetches(runTokens)
end
if groupCount > 0 then
  local isStale = {}
  for _, position in ipairs(stale) do isStale[position] = true end
  local ended = {}
  for j = 1, groupCount do
    local position, group = tonumber(ARGV[at + 2 * j - 1]), ARGV[at + 2 * j]
    if position and not isStale[position] then ended[group] = (ended[group] or 0) + 1 end
  end
  for group, count in pairs(ended) do groupEnded(group, count) end
end

if #zargs > 0 then
  for i = 1, #zargs, 2000 do
    redis.call('ZADD', done, unpack(zargs, i, math.min(i + 1999, #zargs)))
    redis.call('HSET', results, unpack(hargs, i, math.min(i + 1999, #hargs)))
  end
  local excess = redis.call('ZCARD', done) - keep
  if excess > 0 then
    local old = redis.call('ZRANGE', done, 0, excess - 1)
    for i = 1, #old, 1000 do
      local last = math.min(i + 999, #old)
      redis.call('ZREM', done, unpack(old, i, last))
      redis.call('HDEL', results, unpack(old, i, last))
    end
  end
  local aged = redis.call('ZRANGEBYSCORE', done, '-inf', now - tonumber(ARGV[2]), 'LIMIT', 0, 1000)
  if #aged > 0 then
    redis.call('ZREM', done, unpack(aged))
    redis.call('HDEL', results, unpack(aged))
  end
end
return stale
