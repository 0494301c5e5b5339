--[[
  Records dispatched tasks as pending. A field already written (a fast handler may start or finish
  before this lands) is never overwritten, so the order of this and the publish does not matter.

  Input:
    KEYS[1..n] status hashes, one per task

    ARGV[1] retention (ms)
    then 3 per task: taskId, type, queue

  Output:
    n
]]
-- @include "now"

local now = nowMs()
local retention = ARGV[1]
for i = 1, #KEYS do
  local base = 1 + (i - 1) * 3
  local key = KEYS[i]
  redis.call('HSETNX', key, 'taskId', ARGV[base + 1])
  redis.call('HSETNX', key, 'type', ARGV[base + 2])
  redis.call('HSETNX', key, 'queue', ARGV[base + 3])
  redis.call('HSETNX', key, 'createdAt', now)
  redis.call('HSETNX', key, 'state', 'pending')
  redis.call('HSETNX', key, 'attempts', 0)
  redis.call('HSETNX', key, 'updatedAt', now)
  redis.call('PEXPIRE', key, retention)
end
return #KEYS
