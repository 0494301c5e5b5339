-- @include "tier-push"
-- @include "groups"
-- A ready id (its body given) to its group's list, or, ungrouped, to its tier list (apart from
-- groups.lua, so that a script ending deliveries without tier lists, complete.lua, need not have them).
-- Needs: tiers (array of 4 keys), and what groups.lua needs.
local function readyPush(cmd, tier, id, body)
  local group = groupOf(body)
  if group then
    groupPush(cmd, tier, group, {id})
  else
    tierPush(cmd, tier, {id})
  end
end
