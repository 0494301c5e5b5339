--[[
  An attempt failed and the queue retries the task (ignored once the task is final).

  Input:
    KEYS[1] status hash

    ARGV[1] attempt number
    ARGV[2] error JSON {name, message}
    ARGV[3] retention (ms)

  Output:
    1 when recorded, 0 when the task was already final
]]
-- @include "now"

local state = redis.call('HGET', KEYS[1], 'state')
if state == 'completed' or state == 'failed' then return 0 end
redis.call('HSET', KEYS[1], 'state', 'retrying', 'attempts', ARGV[1], 'error', ARGV[2], 'updatedAt', nowMs())
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
