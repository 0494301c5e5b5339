--[[
  Pauses or resumes every worker of a queue. Resuming leaves a wake-up token so a blocked
  worker looks for work at once (it wakes the next one when more is ready).

  Input:
    KEYS[1] meta hash (field paused)
    KEYS[2] wake wake-up list

    ARGV[1] '1' to pause, '0' to resume

  Output:
    1
]]
local meta, wake = KEYS[1], KEYS[2]
-- @include "wake"
-- @include "oom-guard"
oomGuard(meta)
if ARGV[1] == '1' then
  redis.call('HSET', meta, 'paused', '1')
else
  redis.call('HDEL', meta, 'paused')
  wakeOne()
end
return 1
