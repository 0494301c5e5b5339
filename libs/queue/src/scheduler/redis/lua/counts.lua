--[[
  Counters and sizes for stats(). Expired active entries are dropped first.

  Input:
    KEYS[1] stats   hash of counters
    KEYS[2] active  zset token -> expiry (ms)
    KEYS[3] once    zset id -> due time (ms)
    KEYS[4] rec     hash key -> definition JSON

  Output:
    { flat counters {name, value, ...}, active, once not yet due, recurring }
]]
-- @include "now"

local now = nowMs()
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
return {
  redis.call('HGETALL', KEYS[1]),
  redis.call('ZCARD', KEYS[2]),
  redis.call('ZCOUNT', KEYS[3], '(' .. now, '+inf'),
  redis.call('HLEN', KEYS[4]),
}
