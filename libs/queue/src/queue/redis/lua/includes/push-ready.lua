-- @include "groups"
-- Pushes ids (array) to the tails of their tiers in as few RPUSH calls as possible; grouped ones
-- to their group's list (groups.lua).
-- Needs: tiers (array of 4 keys), msgs key, the tier-push and groups includes.
local function pushReady(ids)
  local byTier = {{}, {}, {}, {}}
  local bodies = redis.call('HMGET', msgs, unpack(ids))
  for i, id in ipairs(ids) do
    local tier = readHeader(bodies[i])
    local group = groupOf(bodies[i])
    if group then
      groupPush('RPUSH', tier, group, {id})
    else
      local list = byTier[tier]
      list[#list + 1] = id
    end
  end
  for tier = 1, 4 do
    local list = byTier[tier]
    for i = 1, #list, 1000 do
      tierPush('RPUSH', tier, {unpack(list, i, math.min(i + 999, #list))})
    end
  end
end
