-- @include "groups"
-- @include "rate-limit"
-- The take of one tier while groups are active (fetch.lua; layout in groups.lua): one pass over the
-- tier's ring at most, popping members in turn and taking up to per = ceil(count / ring length)
-- from each (one each when there are more groups than wanted). A member with messages left goes
-- back to the tail of the ring, or, a group at its groupConcurrency limit, into gblocked; '~' takes
-- from the tier list (rate-limit scan included). The ids are returned interleaved, one per member in
-- turn, so the order a worker starts them in is the rotation's.
-- Needs: rings, parked (arrays of 4 keys), msgs, grun, gblocked, gqueued, meta (keys).
-- Sets: groupTaken (flat id, group, ...: the reply tells the store which deliveries are grouped),
-- groupHeld[tier] (groups left in the ring whose head waits for a rate-limit token).
local groupTaken = {}
local groupHeld = {0, 0, 0, 0}
local groupU = {false, false, false, false}

-- Out of every ring (the entry of `popped`, the tier being taken, was already popped) into gblocked.
local function groupBlock(group, popped)
  redis.call('SADD', gblocked, group)
  for tier = 1, 4 do
    if tier ~= popped and redis.call('EXISTS', groupKey(tier, group)) == 1 then
      redis.call('LREM', rings[tier], 1, group)
    end
  end
end

-- Up to `want` ids from the head of a group's list within the rate limits (FIFO in the group: a
-- head of a limited type without a token holds the group's turn). Returns ids, held (true also when
-- the whole-queue limit cut the take short).
local function groupHeadTake(key, want, limited)
  if not limited then return redis.call('LPOP', key, want) or {}, false end
  local allowed = rateQueueAllow(want)
  if allowed <= 0 then return {}, true end
  local capped = allowed < want
  want = allowed
  local ids, held = {}, false
  if not rateTypes then
    ids = redis.call('LPOP', key, want) or {}
  else
    while #ids < want do
      local id = redis.call('LINDEX', key, 0)
      if not id then break end
      local l = rateLimits[rateTypeOf(redis.call('HGET', msgs, id))]
      if l ~= nil and l ~= rateQueue then
        if rateAvailable(l) < 1 then
          rateWait(l)
          held = true
          break
        end
        rateSpend(l)
      end
      redis.call('LPOP', key)
      ids[#ids + 1] = id
    end
  end
  rateQueueSpend(#ids)
  -- capped by the queue's tokens: the list may hold more (the caller must look, not infer it is empty)
  return ids, held or capped
end

-- Whether the tier's ungrouped messages (its list, or parked ones a limited fetch may take) need a turn.
local function groupUngroupedReady(tier, limited)
  if tierLen(tier) > 0 then return true end
  return limited and rateTypes and redis.call('EXISTS', parked[tier]) == 1
end

-- Ready groups of the tier (ring members other than '~').
local function groupsReady(tier)
  local n = redis.call('LLEN', rings[tier])
  if groupU[tier] then n = n - 1 end
  return n
end

-- Takes up to `count` of the tier in turn; `ungrouped(tier, n)` takes from the tier list.
local function groupTake(tier, count, limit, limited, ungrouped)
  local ring = rings[tier]
  if not groupU[tier] and groupUngroupedReady(tier, limited) then
    redis.call('RPUSH', ring, '~')
    redis.call('HSET', meta, 'u' .. tier, '1')
    groupU[tier] = true
  end
  local members = redis.call('LLEN', ring)
  if members == 0 then return {} end
  local per = math.ceil(count / members)
  local batches, got, longest, fromGroups = {}, 0, 0, 0
  for _ = 1, members do
    if got >= count then break end
    local g = redis.call('LPOP', ring)
    if not g then break end
    local want = math.min(per, count - got)
    local ids = {}
    if g == '~' then
      ids = ungrouped(tier, want) or {}
      if groupUngroupedReady(tier, limited) then
        redis.call('RPUSH', ring, '~')
      else
        redis.call('HDEL', meta, 'u' .. tier)
        groupU[tier] = false
      end
    else
      local running = 0
      if limit > 0 then running = tonumber(redis.call('HGET', grun, g)) or 0 end
      if limit > 0 and running >= limit then
        groupBlock(g, tier)
      else
        if limit > 0 and want > limit - running then want = limit - running end
        local key = groupKey(tier, g)
        local held
        ids, held = groupHeadTake(key, want, limited)
        if #ids > 0 then
          redis.call('HINCRBY', grun, g, #ids)
          fromGroups = fromGroups + #ids
          for _, id in ipairs(ids) do
            groupTaken[#groupTaken + 1] = id
            groupTaken[#groupTaken + 1] = g
          end
        end
        -- fewer than wanted and not held back: the list is empty (no EXISTS needed)
        if (held or #ids >= want) and redis.call('EXISTS', key) == 1 then
          if limit > 0 and running + #ids >= limit then
            groupBlock(g, tier)
          else
            redis.call('RPUSH', ring, g)
            if held then groupHeld[tier] = groupHeld[tier] + 1 end
          end
        end
      end
    end
    if #ids > 0 then
      batches[#batches + 1] = ids
      got = got + #ids
      if #ids > longest then longest = #ids end
    end
  end
  if fromGroups > 0 then redis.call('HINCRBY', gqueued, tier, -fromGroups) end
  if #batches == 1 then return batches[1] end
  local out = {}
  for j = 1, longest do
    for _, b in ipairs(batches) do
      if b[j] then out[#out + 1] = b[j] end
    end
  end
  return out
end
