--[[
  Enqueues a batch of messages, all or nothing (every argument is checked before the first write).
  Ids are chosen by the producer (unique, distinct within a batch). A message whose id is already
  stored (in msgs: queued, delayed, in flight or dead; or in results: completed within the
  retention) is skipped, so a command re-sent after a reconnect is applied once.

  Input:
    KEYS[1..4] tier lists (critical, high, normal, low)
    KEYS[5]    msgs      hash id -> body
    KEYS[6]    delayed   zset id -> due time (ms)
    KEYS[7]    stats     hash of counters
    KEYS[8]    results   hash id -> result record JSON
    KEYS[9]    wake      wake-up list
    KEYS[10..13] group rings (critical .. low): lists of the groups served in turn (includes/groups.lua)
    KEYS[14]   grun      hash group -> its messages in flight
    KEYS[15]   gblocked  set of the groups at their concurrency limit
    KEYS[16]   gqueued   hash tier -> grouped ready messages
    KEYS[17]   meta      hash (grouped flag)
    KEYS[18..] idempotency keys, one per message that has one

    ARGV[1]    n, the number of messages
    ARGV[2]    format: 'plain' or 'full'
    then, 'plain': 2 per message, each ready at once without idempotency key
               (its tier is read from the body): id, body; or
    then, 'full': 7 per message:
      priority  0..3
      delayMs   >= 0
      idemKey   index into KEYS of its idempotency key, 0 for none
      idemTtlMs
      id
      body      encoded message
      group     '' for none (a ready message with a group goes to its group's list)

  Output:
    plain: the number of messages stored (skipped ones not counted)
    full:  array of n ids (for a repeated idempotency key, the id the key first received)
]]
local tiers = {KEYS[1], KEYS[2], KEYS[3], KEYS[4]}
local msgs, delayed, stats, results, wake = KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9]
local rings = {KEYS[10], KEYS[11], KEYS[12], KEYS[13]}
local grun, gblocked, gqueued, meta = KEYS[14], KEYS[15], KEYS[16], KEYS[17]

-- @include "now"
-- @include "counter"
-- @include "tier-push"
-- @include "wake"
-- @include "groups"

local n = tonumber(ARGV[1])
local plain = ARGV[2] == 'plain'

-- The positions (1-based) of the ids already stored (a re-sent command): one HMGET per 1000 on
-- msgs and on results. Returns the set of positions and how many there are.
local function storedAmong(ids)
  local known, count = {}, 0
  for _, hash in ipairs({msgs, results}) do
    for i = 1, n, 1000 do
      local last = math.min(i + 999, n)
      local found = redis.call('HMGET', hash, unpack(ids, i, last))
      for j = 1, last - i + 1 do
        if found[j] and not known[i + j - 1] then
          known[i + j - 1] = true
          count = count + 1
        end
      end
    end
  end
  return known, count
end

-- HSET of the pairs list[from..to] (id, body, id, body, ...), 2000 arguments per call.
local function hsetPairs(list, from, to)
  for i = from, to, 2000 do
    redis.call('HSET', msgs, unpack(list, i, math.min(i + 1999, to)))
  end
end

-- RPUSH of ids on a tier, 1000 per call.
local function pushReady(tier, list)
  if #list <= 1000 then
    if #list > 0 then tierPush('RPUSH', tier, list) end
    return
  end
  for i = 1, #list, 1000 do
    tierPush('RPUSH', tier, {unpack(list, i, math.min(i + 999, #list))})
  end
end

-- 'plain': one pass checks each message and reads its tier from its body; when no id is stored yet
-- (anything but a re-sent command), HSET takes the id/body pairs straight from ARGV.
local function publishPlain()
  local ids, ready, counts = {}, {{}, {}, {}, {}}, {0, 0, 0, 0}
  for i = 1, n do
    local id, body = ARGV[1 + i * 2], ARGV[2 + i * 2]
    -- '1|<priority 0-3>|...': bytes, not substrings (no string is made)
    local b1, b2, b3 = string.byte(body or '', 1, 3)
    if b1 ~= 49 or b2 ~= 124 or not b3 or b3 < 48 or b3 > 51 or not id or id == '' then
      return redis.error_reply('ERR publish: message ' .. i .. ' has invalid arguments')
    end
    ids[i] = id
    local tier = b3 - 47
    local c = counts[tier] + 1
    counts[tier] = c
    ready[tier][c] = id
  end
  local known, skipped = storedAmong(ids)
  if skipped == 0 then
    hsetPairs(ARGV, 3, 2 + 2 * n)
  else
    local rest, kept = {}, {{}, {}, {}, {}}
    for i = 1, n do
      if not known[i] then
        local id, body = ARGV[1 + i * 2], ARGV[2 + i * 2]
        rest[#rest + 1] = id
        rest[#rest + 1] = body
        local list = kept[string.byte(body, 3) - 47]
        list[#list + 1] = id
      end
    end
    hsetPairs(rest, 1, #rest)
    ready = kept
  end
  for tier = 1, 4 do pushReady(tier, ready[tier]) end
  local added = n - skipped
  if added > 0 then
    bump(stats, 'published', added)
    wakeOne()
  end
  return added
end

if plain then return publishPlain() end

-- 'full': returns priority, delay, idempotency index and ttl, body, id, group ('' none) of message i (0-based), or nil if invalid.
local function message(i)
  local base = 2 + i * 7
  local p, delay, idem = tonumber(ARGV[base + 1]), tonumber(ARGV[base + 2]), tonumber(ARGV[base + 3])
  if not p or not delay or delay < 0 or not idem or (idem > 0 and not KEYS[idem]) or not ARGV[base + 5]
    or ARGV[base + 5] == '' then return nil end
  return p, delay, idem, ARGV[base + 4], ARGV[base + 6], ARGV[base + 5], ARGV[base + 7] or ''
end

local given = {}
for i = 0, n - 1 do
  local p, _, _, _, _, id = message(i)
  if not p or p < 0 or p > 3 then
    return redis.error_reply('ERR publish: message ' .. (i + 1) .. ' has invalid arguments')
  end
  given[i + 1] = id
end

local known = storedAmong(given)

local now = nowMs()
local ids = {}
local hset = {}
local ready = {{}, {}, {}, {}}
-- grouped ready messages: per tier, group -> ids (in order), and the groups in first-seen order
local groupedIds = {{}, {}, {}, {}}
local groupOrder = {{}, {}, {}, {}}
local added = 0

for i = 0, n - 1 do
  local p, delay, idem, ttl, body, id, group = message(i)
  local existing = false
  if known[i + 1] then
    existing = id
  elseif idem > 0 then
    existing = redis.call('GET', KEYS[idem])
    if not existing then
      redis.call('SET', KEYS[idem], id, 'PX', ttl)
    end
  end
  if existing then
    ids[i + 1] = existing
  else
    ids[i + 1] = id
    added = added + 1
    hset[#hset + 1] = id
    hset[#hset + 1] = body
    if delay > 0 then
      redis.call('ZADD', delayed, now + delay, id)
    elseif group ~= '' then
      local byGroup = groupedIds[p + 1]
      if not byGroup[group] then
        byGroup[group] = {}
        local order = groupOrder[p + 1]
        order[#order + 1] = group
      end
      local list = byGroup[group]
      list[#list + 1] = id
    else
      local list = ready[p + 1]
      list[#list + 1] = id
    end
  end
end

hsetPairs(hset, 1, #hset)
for tier = 1, 4 do
  pushReady(tier, ready[tier])
  for _, group in ipairs(groupOrder[tier]) do
    local list = groupedIds[tier][group]
    for i = 1, #list, 1000 do
      groupPush('RPUSH', tier, group, {unpack(list, i, math.min(i + 999, #list))})
    end
  end
end
if added > 0 then
  bump(stats, 'published', added)
  wakeOne()
end
return ids
