-- Rate limits (docs/queue.md, "Rate limits"): one token bucket per limit, kept as a GCRA
-- theoretical arrival time `tat` (ms, Redis clock) in the `rate` hash. A limit of `max` per `perMs`
-- refills one token every perMs / max ms and holds at most `max`: a take is allowed while
-- tat + interval - now <= perMs. Name '*' limits the whole queue, any other name one task type.
--
-- Messages of a limited type that have no token now are moved from their tier list to the tier's
-- `parked` list (older than anything left in the tier, so it is looked at first), and other types
-- behind them are taken: one fetch looks at most RATE_SCAN entries of a list, every parked message
-- is moved once. meta `parked` = 1 while anything may be parked; a fetch without limits puts parked
-- messages back at the head of their tier (rateUnpark), so a limit removed from the configuration
-- strands nothing.
-- Needs: tiers, parked (arrays of 4 keys), msgs, rate, meta (keys), markBroken (tier-push), nowMs.
-- Sets: rateDue (ms until the next token a held-back message waits for, false when none) and
-- rateBlocked[tier] / rateMore[tier] (tiersLeft: nothing takeable left there / takeable parked left).
-- A tier no take looked at (a look for 0, or past a full take) counts as takeable too when one of
-- the first RATE_CHUNK messages of its parked list has a token (rateLimitsSave): they may run now,
-- and a reply saying "nothing, nothing due" would leave an idle worker asleep until its idle timeout.
local RATE_SCAN = 256
local RATE_CHUNK = 32
local rateDue = false
local rateBlocked = {}
local rateMore = {}
local rateLooked = {}
local rateLimits = nil
local rateQueue = nil
local rateTypes = false
local rateNow = 0
local rateParked = false

-- Reads `count` triples from ARGV[from + 1 ..]; returns true when any limit applies.
local function rateLimitsLoad(count, from)
  if count <= 0 then return false end
  rateNow = nowMs()
  rateLimits = {}
  local names = {}
  for i = 1, count do
    local name = ARGV[from + 3 * i - 2]
    local max, per = tonumber(ARGV[from + 3 * i - 1]), tonumber(ARGV[from + 3 * i])
    names[i] = name
    rateLimits[name] = { interval = per / max, per = per, changed = false }
    if name == '*' then rateQueue = rateLimits[name] else rateTypes = true end
  end
  local tats = redis.call('HMGET', rate, unpack(names))
  for i, name in ipairs(names) do
    local l = rateLimits[name]
    local tat = tonumber(tats[i]) or rateNow
    if tat < rateNow then tat = rateNow end
    l.tat = tat
  end
  return true
end

local function rateAvailable(l)
  return math.floor((rateNow + l.per - l.tat) / l.interval + 1e-9)
end

local function rateSpend(l)
  l.tat = l.tat + l.interval
  l.changed = true
end

local function rateWait(l)
  local v = math.ceil(l.tat + l.interval - l.per - rateNow)
  if v < 0 then v = 0 end
  if not rateDue or v < rateDue then rateDue = v end
end

-- The whole-queue limit (name '*'): how many of `want` it allows now, `want` without one. None
-- left sets rateDue and blocks every tier.
local function rateQueueAllow(want)
  if not rateQueue then return want end
  local free = rateAvailable(rateQueue)
  if free < want then want = free end
  if want <= 0 then
    rateWait(rateQueue)
    for t = 1, 4 do rateBlocked[t] = true end
    return 0
  end
  return want
end

-- Spends one whole-queue token per id taken; when none is left, every tier is blocked until rateDue.
local function rateQueueSpend(n)
  if not rateQueue then return end
  for _ = 1, n do rateSpend(rateQueue) end
  if rateAvailable(rateQueue) <= 0 then
    rateWait(rateQueue)
    for t = 1, 4 do rateBlocked[t] = true end
  end
end

local function rateTypeOf(body)
  if not body then return nil end
  return string.match(body, '^1|[^|]*|[^|]*|[^|]*|[^|]*|([^|]*)|')
end

-- Whether some limited type has a token now (else parked lists hold nothing takeable).
local function rateAnyTypeToken()
  for name, l in pairs(rateLimits) do
    if name ~= '*' and rateAvailable(l) >= 1 then return true end
  end
  return false
end

-- Scans `key` from its head (at most RATE_SCAN entries) and appends to `ids` what the limits allow,
-- up to `count` in all. Held-back ids stay in place (park = false: the parked list, where the scan
-- ends once no limited type has a token) or move to `park` (a list key).
-- Returns whether the scan stopped at `count` with entries left.
local function rateScan(key, tier, ids, count, park)
  local kept = {}
  local scanned = 0
  local more = false
  local spent = false
  while scanned < RATE_SCAN do
    local chunk = redis.pcall('LRANGE', key, scanned, scanned + RATE_CHUNK - 1)
    if type(chunk) == 'table' and chunk.err then
      markBroken(tier)
      return false
    end
    if #chunk == 0 then break end
    local bodies = redis.call('HMGET', msgs, unpack(chunk))
    local used = 0
    for i, id in ipairs(chunk) do
      if #ids >= count then
        more = true
        break
      end
      used = i
      local l = rateLimits[rateTypeOf(bodies[i])]
      if l == nil or l == rateQueue then
        ids[#ids + 1] = id
      elseif rateAvailable(l) >= 1 then
        rateSpend(l)
        ids[#ids + 1] = id
        -- a parked list holds limited types only: once none has a token, nothing further can be taken
        if not park and not rateAnyTypeToken() then
          spent = true
          break
        end
      else
        rateWait(l)
        kept[#kept + 1] = id
      end
    end
    scanned = scanned + used
    if more or spent or #chunk < RATE_CHUNK then break end
    if #ids >= count then
      more = redis.call('LLEN', key) > scanned
      break
    end
  end
  if scanned > 0 and (#ids > 0 or park) then
    redis.call('LTRIM', key, scanned, -1)
    if #kept > 0 then
      if park then
        redis.call('RPUSH', park, unpack(kept))
        rateParked = true
      else
        local back = {}
        for i = #kept, 1, -1 do back[#back + 1] = kept[i] end
        redis.call('LPUSH', key, unpack(back))
      end
    end
  end
  return more
end

-- Takes up to `count` ids of the tier within the limits: its parked list first (older), then the list.
local function rateTake(tier, count)
  rateLooked[tier] = true
  count = rateQueueAllow(count)
  if count <= 0 then return false end
  local ids
  if not rateTypes then
    ids = redis.pcall('LPOP', tiers[tier], count)
    if type(ids) == 'table' and ids.err then
      markBroken(tier)
      return false
    end
    if not ids then return false end
  else
    ids = {}
    if rateAnyTypeToken() and redis.call('EXISTS', parked[tier]) == 1 then
      if rateScan(parked[tier], tier, ids, count, false) then rateMore[tier] = true end
    end
    if #ids < count then rateScan(tiers[tier], tier, ids, count, parked[tier]) end
  end
  rateQueueSpend(#ids)
  return ids
end

-- Whether one of the first RATE_CHUNK parked messages of the tier has a token now (the scan of a
-- take would take it).
local function rateParkedTakeable(tier)
  local head = redis.call('LRANGE', parked[tier], 0, RATE_CHUNK - 1)
  if #head == 0 then return false end
  local bodies = redis.call('HMGET', msgs, unpack(head))
  for i = 1, #head do
    local l = rateLimits[rateTypeOf(bodies[i])]
    if l == nil or l == rateQueue or rateAvailable(l) >= 1 then return true end
  end
  return false
end

-- After the take: the due time of limited types without a token while messages are parked.
local function rateLimitsSave()
  if rateTypes then
    local any = rateParked
    if not any then any = redis.call('EXISTS', parked[1], parked[2], parked[3], parked[4]) > 0 end
    if any then
      for name, l in pairs(rateLimits) do
        if name ~= '*' and rateAvailable(l) < 1 then rateWait(l) end
      end
      if rateAnyTypeToken() then
        for tier = 1, 4 do
          if not rateLooked[tier] and not rateBlocked[tier] then rateMore[tier] = rateParkedTakeable(tier) or nil end
        end
      end
    end
    if rateParked then redis.call('HSET', meta, 'parked', '1') end
  end
  local args = {}
  for name, l in pairs(rateLimits) do
    if l.changed then
      args[#args + 1] = name
      args[#args + 1] = string.format('%.3f', l.tat)
    end
  end
  if #args > 0 then redis.call('HSET', rate, unpack(args)) end
end

-- A fetch without limits while messages are parked: puts them back at the head of their tier, in order.
local function rateUnpark()
  local left = false
  for tier = 1, 4 do
    local ids = redis.pcall('LRANGE', parked[tier], 0, 999)
    if type(ids) == 'table' and not ids.err and #ids > 0 then
      redis.call('LTRIM', parked[tier], #ids, -1)
      local back = {}
      for i = #ids, 1, -1 do back[#back + 1] = ids[i] end
      tierPush('LPUSH', tier, back)
      if redis.call('LLEN', parked[tier]) > 0 then left = true end
    end
  end
  if not left then redis.call('HDEL', meta, 'parked') end
end
