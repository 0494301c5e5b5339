--[[
  A handler attempt of a task started (ignored once the task is final).

  Input:
    KEYS[1] status hash

    ARGV[1] attempt number
    ARGV[2] queue message id
    ARGV[3] retention (ms)

  Output:
    1 when recorded, 0 when the task was already final
]]
-- @include "now"

local state = redis.call('HGET', KEYS[1], 'state')
if state == 'completed' or state == 'failed' then return 0 end
local now = nowMs()
redis.call('HSET', KEYS[1], 'state', 'processing', 'attempts', ARGV[1], 'messageId', ARGV[2], 'startedAt', now, 'updatedAt', now)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
