--[[
  Records a one-off task (already published to its queue with a delay) in the scheduler's index.

  Input:
    KEYS[1] once      zset id -> due time (ms)
    KEYS[2] oncedefs  hash id -> info JSON
    KEYS[3] stats     hash of counters

    ARGV[1] id
    ARGV[2] due time (ms)
    ARGV[3] info JSON
    ARGV[4] change channel (wakes the scheduler loops: the next wake-up time may be earlier now)

  Output:
    1
]]
-- @include "counter"
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
bump(KEYS[3], 'total', 1)
redis.call('PUBLISH', ARGV[4], ARGV[1])
return 1
