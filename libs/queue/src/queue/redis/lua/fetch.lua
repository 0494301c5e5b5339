--[[
  Takes up to ARGV[1] ready messages and leases them, in one atomic step. Before taking it moves
  due delayed messages to the tail of their tier, and puts messages whose lease expired back at
  the head of their tier (counting the attempt), dead-lettering those past their maxRetries.

  Input:
    KEYS[1..4] tier lists (critical, high, normal, low)
    KEYS[5]    msgs      hash id -> body
    KEYS[6]    inflight  zset id -> lease deadline (ms)
    KEYS[7]    delayed   zset id -> due time (ms)
    KEYS[8]    att       hash id -> attempts ended
    KEYS[9]    errors    hash id -> last error JSON
    KEYS[10]   dlq       zset id -> dead time
    KEYS[11]   dlqinfo   hash id -> dead-letter info JSON
    KEYS[12]   stats     hash of counters
    KEYS[13]   meta      hash (paused)
    KEYS[14]   wake      wake-up list
    KEYS[15]   leases    hash id -> lease token of its delivery (while in flight), plus the field '~'
                         that keeps its encoding a hashtable (see below), and '>' .. token -> the
                         ids that fetch took (includes/fetch-record.lua)
    KEYS[16]   rate      hash rate-limit name ('*' the whole queue, else a task type) -> theoretical
                         arrival time of its token bucket (GCRA, ms); only touched when ARGV[13] > 0
    KEYS[17..20] parked lists (critical, high, normal, low): ids of rate-limited types held back
                 (see includes/rate-limit.lua); only touched with limits or while meta `parked` is 1
    KEYS[21..24] group rings (critical .. low): lists of the groups served in turn (includes/groups.lua);
                 only touched while meta `grouped` is 1
    KEYS[25]   grun      hash group -> its messages in flight
    KEYS[26]   gblocked  set of the groups out of the rotation at their groupConcurrency limit
    KEYS[27]   gqueued   hash tier (1..4) -> grouped ready messages

    ARGV[1]    max messages to take (<= 1000)
    ARGV[2]    lease length in ms
    ARGV[3]    's' (strict) or 'w' (weighted)
    ARGV[4..7] tier weights (weighted mode)
    ARGV[8]    random number in [0, 1) (weighted mode)
    ARGV[9]    dead-letter max size
    ARGV[10]   dead-letter max age in ms
    ARGV[11]   '1' when the dead-letter queue is enabled, '0' to drop instead
    ARGV[12]   lease token of the messages taken (unique per fetch, chosen by the worker)
    ARGV[13]   number of rate limits n (0 or absent: none, and the take costs nothing extra)
    ARGV[14..] n triples: name ('*' = whole queue, else a task type), max, perMs; then
               groupConcurrency at ARGV[14 + 3n] (0 or absent: no limit)

  Output:
    { paused (0|1), nextWakeMs (ms until the next delayed message or lease is due, -1 when none;
      only computed when fewer than ARGV[1] were taken),
      ids, bodies (nil for a missing body), ended attempts (nil for none),
      tiers left (bit t set: tier t, 0 = critical, still has ready messages after this take; 0 when paused),
      broken tiers (bit t set: tier t's list holds the wrong Redis type; it is skipped, see tier-push),
      grouped deliveries: flat id, group, ... (only those taken from a group's list) }
    ARGV[1] may be 0: then nothing is taken and the reply only reports (a worker's check of the tiers).
    Run again with the same lease token (sent again after its reply was lost), it takes nothing and
    returns what the first run took and still holds under that token (includes/fetch-record.lua).
]]
local tiers = {KEYS[1], KEYS[2], KEYS[3], KEYS[4]}
local rate = KEYS[16]
local parked = {KEYS[17], KEYS[18], KEYS[19], KEYS[20]}
local msgs, inflight, delayed, att, errors = KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9]
local dlq, dlqinfo, stats, meta, wake, leases = KEYS[10], KEYS[11], KEYS[12], KEYS[13], KEYS[14], KEYS[15]
local rings = {KEYS[21], KEYS[22], KEYS[23], KEYS[24]}
local grun, gblocked, gqueued = KEYS[25], KEYS[26], KEYS[27]

-- @include "now"
-- @include "oom-guard"
-- @include "counter"
-- @include "header"
-- @include "wake"
-- @include "tier-push"
-- @include "key-types"
-- @include "push-ready"
-- @include "ready-push"
-- @include "dead-letter"
-- @include "rate-limit"
-- @include "group-take"
-- @include "fetch-record"

local LEASES_ENCODING = string.rep('-', 80)

local max = tonumber(ARGV[1])
local lease = tonumber(ARGV[2])
local token = ARGV[12]
local now = nowMs()
oomGuard(meta)

-- 1. Due delayed messages become ready. (An idle worker's fetch must stay cheap: the first entry
-- of each sorted set is read once and only scanned further when it is due.)
local firstDelayed = redis.call('ZRANGE', delayed, 0, 0, 'WITHSCORES')
if firstDelayed[2] and tonumber(firstDelayed[2]) <= now then
  local due = redis.call('ZRANGEBYSCORE', delayed, '-inf', now, 'LIMIT', 0, 1000)
  pushReady(due)
  redis.call('ZREM', delayed, unpack(due))
  firstDelayed = redis.call('ZRANGE', delayed, 0, 0, 'WITHSCORES')
end

-- 2. Expired leases: the attempt ended; back to the head of the tier, or dead.
local firstLease = redis.call('ZRANGE', inflight, 0, 0, 'WITHSCORES')
local expired = {}
if firstLease[2] and tonumber(firstLease[2]) <= now then
  expired = redis.call('ZRANGEBYSCORE', inflight, '-inf', now, 'LIMIT', 0, 1000)
end
if #expired > 0 then
  assertTypes({ leases, 'hash', att, 'hash', msgs, 'hash', errors, 'hash', dlq, 'zset', dlqinfo, 'hash' })
  redis.call('ZREM', inflight, unpack(expired))
  forgetFetches(redis.call('HMGET', leases, unpack(expired)))
  redis.call('HDEL', leases, unpack(expired))
  bump(stats, 'failed', #expired)
  for _, id in ipairs(expired) do
    local ended = bump(att, id, 1)
    local body = redis.call('HGET', msgs, id)
    local tier, maxRetries = readHeader(body)
    local group = groupOf(body)
    if group then groupEnded(group, 1) end
    if maxRetries >= 0 and ended > maxRetries then
      if ARGV[11] == '1' then
        local info = cjson.encode({ reason = 'lease expired on every attempt (worker crashed or stalled)', attempts = ended,
          deadAt = now, error = { name = 'LeaseExpiredError', message = 'lease expired after attempt ' .. ended } })
        deadLetter(id, info, now, tonumber(ARGV[9]), tonumber(ARGV[10]))
      else
        dropMessage(id)
      end
    else
      readyPush('LPUSH', tier, id, body)
      bump(stats, 'retried', 1)
    end
  end
end

-- ms until the next delayed message is due, lease expires or rate-limit token is due, -1 for none
local function nextWake()
  if #expired > 0 then
    firstLease = redis.call('ZRANGE', inflight, 0, 0, 'WITHSCORES')
  end
  local best = rateDue
  if firstDelayed[2] then
    local v = tonumber(firstDelayed[2]) - now
    if not best or v < best then best = v end
  end
  if firstLease[2] then
    local v = tonumber(firstLease[2]) - now
    if not best or v < best then best = v end
  end
  if not best then return -1 end
  if best < 0 then return 0 end
  return best
end

-- The reply of a run of this fetch sent again (see the header); nil when it is the first run, or
-- when none of what the first run took is still held under its token (then it takes anew).
-- `left`: a function giving the tiers-left mask.
local function earlierTake(paused, left)
  local record = redis.call('HGET', leases, fetchRecordField(token))
  if not record then return nil end
  local listed = {}
  for id in string.gmatch(record, '[^,]+') do listed[#listed + 1] = id end
  local owners = redis.call('HMGET', leases, unpack(listed))
  local ids = {}
  for i, id in ipairs(listed) do
    if owners[i] == token then ids[#ids + 1] = id end
  end
  if #ids == 0 then
    redis.call('HDEL', leases, fetchRecordField(token))
    return nil
  end
  local bodies = redis.call('HMGET', msgs, unpack(ids))
  local grouped = {}
  for i, id in ipairs(ids) do
    local group = groupOf(bodies[i])
    if group then
      grouped[#grouped + 1] = id
      grouped[#grouped + 1] = group
    end
  end
  return {paused, nextWake(), ids, bodies, redis.call('HMGET', att, unpack(ids)), left(), brokenTiers, grouped}
end

local flags = redis.call('HMGET', meta, 'paused', 'parked', 'grouped', 'u1', 'u2', 'u3', 'u4')
if flags[1] == '1' then
  return earlierTake(1, function() return 0 end) or {1, nextWake(), {}, {}, {}, 0, brokenTiers}
end
local nLimits = tonumber(ARGV[13] or '0') or 0
if flags[2] == '1' and nLimits == 0 then rateUnpark() end
local groupLimit = tonumber(ARGV[14 + 3 * nLimits] or '0') or 0
-- groups: which tiers have a ring (none while meta `grouped` is unset: the plain take, no extra command)
local ringed = {false, false, false, false}
if flags[3] == '1' then
  local any = false
  for tier = 1, 4 do
    groupU[tier] = flags[3 + tier] == '1'
    ringed[tier] = redis.call('EXISTS', rings[tier]) == 1
    any = any or ringed[tier]
  end
  if not any then redis.call('HDEL', meta, 'grouped', 'u1', 'u2', 'u3', 'u4') end
end

-- bit t set: tier t+1 still has ready messages (the worker learns whether what it holds is outranked)
local function tiersLeft()
  local mask, bit = 0, 1
  for tier = 1, 4 do
    if not rateBlocked[tier] and (rateMore[tier] or tierLen(tier) > 0 or (ringed[tier] and groupsReady(tier) > groupHeld[tier])) then
      mask = mask + bit
    end
    bit = bit * 2
  end
  return mask
end

local again = earlierTake(0, tiersLeft)
if again then return again end

-- 3. Take: strict (highest non-empty tier first) or weighted. What the take writes must be usable first.
local taken = {}
if nLimits == 0 then
  if redis.call('EXISTS', tiers[1], tiers[2], tiers[3], tiers[4]) == 0 and not (ringed[1] or ringed[2] or ringed[3] or ringed[4]) then
    return {0, nextWake(), {}, {}, {}, 0, brokenTiers}
  end
elseif redis.call('EXISTS', tiers[1], tiers[2], tiers[3], tiers[4], parked[1], parked[2], parked[3], parked[4]) == 0
  and not (ringed[1] or ringed[2] or ringed[3] or ringed[4]) then
  return {0, nextWake(), {}, {}, {}, 0, brokenTiers}
end
assertTypes({ leases, 'hash', msgs, 'hash', att, 'hash' })
local limited = rateLimitsLoad(nLimits, 13)
-- With rate limits a tier list is taken from by rateTake (bounded scan, see rate-limit.lua).
local function takeUngrouped(tier, count)
  if limited then return rateTake(tier, count) end
  return tierPop(tier, count)
end
-- A tier with a group ring is taken in turn (group-take.lua).
local function takeFrom(tier, count)
  if ringed[tier] then return groupTake(tier, count, groupLimit, limited, takeUngrouped) end
  return takeUngrouped(tier, count)
end
if ARGV[3] == 's' then
  for tier = 1, 4 do
    local need = max - #taken
    if need <= 0 then break end
    local ids = takeFrom(tier, need)
    if ids then
      for _, id in ipairs(ids) do taken[#taken + 1] = id end
    end
  end
else
  local lens, counts, weights = {}, {0, 0, 0, 0}, {}
  -- parked messages count for the draw while a limited type has a token (else a backlog that is all parked is never drawn)
  local drawParked = limited and rateTypes and rateAnyTypeToken()
  for tier = 1, 4 do
    lens[tier] = tierLen(tier)
    if drawParked then lens[tier] = lens[tier] + redis.call('LLEN', parked[tier]) end
    -- grouped ready messages (those of blocked groups too: such a draw may take fewer)
    if ringed[tier] then lens[tier] = lens[tier] + math.max(0, tonumber(redis.call('HGET', gqueued, tier)) or 0) end
    weights[tier] = tonumber(ARGV[3 + tier])
  end
  local x = tonumber(ARGV[8])
  for _ = 1, max do
    local total = 0
    for tier = 1, 4 do
      if lens[tier] > counts[tier] then total = total + weights[tier] end
    end
    if total == 0 then break end
    -- golden-ratio sequence: low-discrepancy draws, so a batch matches the weights closely
    x = (x + 0.6180339887498949) % 1
    local r = x * total
    for tier = 1, 4 do
      if lens[tier] > counts[tier] then
        r = r - weights[tier]
        if r < 0 then
          counts[tier] = counts[tier] + 1
          break
        end
      end
    end
  end
  for tier = 1, 4 do
    if counts[tier] > 0 then
      local ids = takeFrom(tier, counts[tier])
      if ids then
        for _, id in ipairs(ids) do taken[#taken + 1] = id end
      end
    end
  end
end

if limited then rateLimitsSave() end
if #taken == 0 then
  return {0, nextWake(), {}, {}, {}, tiersLeft(), brokenTiers, groupTaken}
end

local deadline = now + lease
local zargs, largs = {}, {}
for i, id in ipairs(taken) do
  zargs[2 * i - 1] = deadline
  zargs[2 * i] = id
  largs[2 * i - 1] = id
  largs[2 * i] = token
end
largs[#largs + 1] = fetchRecordField(token)
largs[#largs + 1] = table.concat(taken, ',')
redis.call('ZADD', inflight, unpack(zargs))
-- The field '~' (never an id) holds a value longer than hash-max-listpack-value (64 by default), so
-- `leases` stays in Redis' hashtable encoding: as a listpack (under 512 entries, the usual number
-- in flight) every HSET/HMGET/HDEL of a delivery scans it, about 20x the cost per field.
redis.call('HSETNX', leases, '~', LEASES_ENCODING)
redis.call('HSET', leases, unpack(largs))
local bodies = redis.call('HMGET', msgs, unpack(taken))
local ended = redis.call('HMGET', att, unpack(taken))

-- 4. More ready work: wake another idle worker (it wakes the next in turn).
local left = tiersLeft()
if #taken == max then
  if left > 0 then wakeOne() end
  return {0, -1, taken, bodies, ended, left, brokenTiers, groupTaken}
end
return {0, nextWake(), taken, bodies, ended, left, brokenTiers, groupTaken}
