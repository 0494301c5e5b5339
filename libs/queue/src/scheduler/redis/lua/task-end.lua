--[[
  A handler registered through the scheduler ended: no longer active; counted as completed or failed.

  Input:
    KEYS[1] active  zset token -> expiry (ms)
    KEYS[2] stats   hash of counters

    ARGV[1] token
    ARGV[2] 'completed' or 'failed'

  Output:
    1
]]
-- @include "counter"
redis.call('ZREM', KEYS[1], ARGV[1])
bump(KEYS[2], ARGV[2], 1)
return 1
