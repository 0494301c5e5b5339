-- Rate limits (docs/queue.md, "Rate limits"): one token bucket per limit, kept as a GCRA
-- theoretical arrival time `tat` (ms, Redis clock) in the `rate` hash. A limit of `max` per `perMs`
-- refills one token every perMs / max ms and holds at most `max`: a take is allowed while
-- tat + interval - now <= perMs. Name '*' limits the whole queue, any other name one task type.
-- Needs: tiers, msgs, rate (keys), markBroken (tier-push), nowMs (now).
-- Sets: rateDue (ms until the next token a blocked message waits for, false when none) and
-- rateBlocked[tier] (true: what is left of the tier that the scan saw is all rate-blocked; the
-- fetch then reports no ready messages there, so workers neither wake for it nor hold back lower tiers).
local RATE_SCAN = 256 -- most entries of one tier looked at per fetch (bounded cost)
local RATE_CHUNK = 32
local rateDue = false
local rateBlocked = {}
local rateLimits = nil
local rateQueue = nil
local rateTypes = false
local rateNow = 0

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

local function rateTypeOf(body)
  if not body then return nil end
  return string.match(body, '^1|[^|]*|[^|]*|[^|]*|[^|]*|([^|]*)|')
end

-- Takes up to `count` ids from the head of the tier within the limits: ids whose limit has no
-- token now are skipped (they keep their place), at most RATE_SCAN entries are looked at.
local function rateTake(tier, count)
  if rateQueue then
    local free = rateAvailable(rateQueue)
    if free < count then count = free end
    if count <= 0 then
      rateWait(rateQueue)
      for t = 1, 4 do rateBlocked[t] = true end
      return false
    end
  end
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
    local kept = {}
    local scanned = 0
    while #ids < count and scanned < RATE_SCAN do
      local chunk = redis.pcall('LRANGE', tiers[tier], scanned, scanned + RATE_CHUNK - 1)
      if type(chunk) == 'table' and chunk.err then
        markBroken(tier)
        return false
      end
      if #chunk == 0 then break end
      local bodies = redis.call('HMGET', msgs, unpack(chunk))
      local used = 0
      for i, id in ipairs(chunk) do
        if #ids >= count then break end
        used = i
        local l = rateLimits[rateTypeOf(bodies[i])]
        if l == nil or l == rateQueue then
          ids[#ids + 1] = id
        elseif rateAvailable(l) >= 1 then
          rateSpend(l)
          ids[#ids + 1] = id
        else
          rateWait(l)
          kept[#kept + 1] = id
        end
      end
      scanned = scanned + used
      if used < #chunk or #chunk < RATE_CHUNK then break end
    end
    if #ids > 0 then
      -- the scanned head minus what was taken goes back in its order
      redis.call('LTRIM', tiers[tier], scanned, -1)
      if #kept > 0 then
        local back = {}
        for i = #kept, 1, -1 do back[#back + 1] = kept[i] end
        redis.call('LPUSH', tiers[tier], unpack(back))
      end
    end
    -- Nothing takeable left in what was seen: scanned to the end, or RATE_SCAN entries without room.
    if #ids < count and #kept > 0 then rateBlocked[tier] = true end
  end
  if rateQueue then
    for _ = 1, #ids do rateSpend(rateQueue) end
    if rateAvailable(rateQueue) <= 0 then
      rateWait(rateQueue)
      for t = 1, 4 do rateBlocked[t] = true end
    end
  end
  return ids
end

local function rateLimitsSave()
  local args = {}
  for name, l in pairs(rateLimits) do
    if l.changed then
      args[#args + 1] = name
      args[#args + 1] = string.format('%.3f', l.tat)
    end
  end
  if #args > 0 then redis.call('HSET', rate, unpack(args)) end
end
