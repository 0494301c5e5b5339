--[[
  Removes a one-off task from the scheduler's index (after a cancel).

  Input:
    KEYS[1] once      zset id -> due time (ms)
    KEYS[2] oncedefs  hash id -> info JSON

    ARGV[1] id

  Output:
    1 when it was indexed, else 0
]]
redis.call('HDEL', KEYS[2], ARGV[1])
return redis.call('ZREM', KEYS[1], ARGV[1])
