-- @include "wake"
-- Groups (docs/queue.md "Groups", docs/architecture.md). A ready message published with a group
-- waits in its group's list for its tier, `g:<tier 1-4>:<group>`, not in the tier list. Per tier,
-- the ring `gring:<priority>` lists the groups to serve in turn: the groups whose list there is
-- non-empty and that are not blocked, plus the member '~' (never a group name) that stands for the
-- tier list itself, so the ungrouped messages share one turn. Invariant: a group is in a tier's ring
-- (once) iff its list there is non-empty and it is not in `gblocked`.
-- `grun` counts each group's messages in flight (every group, limited or not); a fetch with a
-- groupConcurrency of n moves a group with n in flight out of every ring into `gblocked`; the end of
-- one of its deliveries (complete, fail, release, expired lease) puts it back at the tail of the
-- rings where it has messages and wakes a worker. `gqueued` counts the grouped ready messages per
-- tier (field 1..4) for counts. meta `grouped` = 1 once a ring may exist (a fetch without it never
-- looks at the rings), meta `u<tier>` = 1 while '~' is in that tier's ring.
-- Needs: rings (array of 4 keys), grun, gblocked, gqueued, meta, wake (keys).
local groupBase = string.sub(grun, 1, -5) .. 'g:'

-- The group of a stored body ("1|p|mr|to|at|type|^group|..."), nil for none.
local function groupOf(body)
  if not body then return nil end
  return string.match(body, '^1|[^|]*|[^|]*|[^|]*|[^|]*|[^|]*|%^([^|]+)|')
end

local function groupKey(tier, group)
  return groupBase .. tier .. ':' .. group
end

-- cmd 'RPUSH' (tail) or 'LPUSH' (head): ids of one group to its list in `tier`; a list that was
-- empty brings the group into the tier's rotation (at the tail), unless the group is blocked.
local function groupPush(cmd, tier, group, ids)
  local len = redis.call(cmd, groupKey(tier, group), unpack(ids))
  redis.call('HINCRBY', gqueued, tier, #ids)
  if len == #ids and redis.call('SISMEMBER', gblocked, group) == 0 then
    redis.call('RPUSH', rings[tier], group)
    redis.call('HSET', meta, 'grouped', '1')
  end
end

-- n deliveries of `group` ended: fewer in flight, and a blocked group rejoins its rings.
local function groupEnded(group, n)
  if redis.call('HINCRBY', grun, group, -n) <= 0 then redis.call('HDEL', grun, group) end
  if redis.call('SREM', gblocked, group) == 1 then
    local back = false
    for tier = 1, 4 do
      if redis.call('EXISTS', groupKey(tier, group)) == 1 then
        redis.call('RPUSH', rings[tier], group)
        back = true
      end
    end
    if back then
      redis.call('HSET', meta, 'grouped', '1')
      wakeOne()
    end
  end
end
