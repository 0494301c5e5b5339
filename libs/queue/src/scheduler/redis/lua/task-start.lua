--[[
  A handler registered through the scheduler started: it counts as active until it ends or its
  entry expires (a crashed process).

  Input:
    KEYS[1] active  zset token -> expiry (ms)

    ARGV[1] token (instance, message id, attempt)
    ARGV[2] expiry after now (ms)

  Output:
    1
]]
-- @include "now"

local now = nowMs()
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
return 1
