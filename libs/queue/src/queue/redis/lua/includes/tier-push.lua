-- Tier lists that hold the wrong Redis type (damaged by hand) must not stop the queue: tierLen and
-- tierPop read them with pcall and mark them in brokenTiers (bit t-1 for tier t, reported to the
-- worker, which logs it once); tierPush puts ids on their tier or, when that list is broken, on the
-- first working tier, so a message is never dropped between two lists. Needs: tiers (array of 4 keys).
local brokenTiers = 0
local function markBroken(tier)
  local bit = 2 ^ (tier - 1)
  if math.floor(brokenTiers / bit) % 2 == 0 then brokenTiers = brokenTiers + bit end
end

local function tierLen(tier)
  local n = redis.pcall('LLEN', tiers[tier])
  if type(n) == 'number' then return n end
  markBroken(tier)
  return 0
end

local function tierPop(tier, count)
  local ids = redis.pcall('LPOP', tiers[tier], count)
  if type(ids) == 'table' and ids.err then
    markBroken(tier)
    return false
  end
  return ids
end

-- cmd: 'RPUSH' (tail) or 'LPUSH' (head); ids: at most 1000.
local function tierPush(cmd, tier, ids)
  local r = redis.pcall(cmd, tiers[tier], unpack(ids))
  if type(r) == 'number' then return tier end
  markBroken(tier)
  for other = 1, 4 do
    if other ~= tier then
      r = redis.pcall(cmd, tiers[other], unpack(ids))
      if type(r) == 'number' then return other end
      markBroken(other)
    end
  end
  -- no tier list is usable: fail the script with Redis' own WRONGTYPE (named by the loader)
  return redis.call(cmd, tiers[tier], unpack(ids))
end
