--[[
  Removes a recurring task and wakes every scheduler loop.

  Input:
    KEYS[1] rec   hash key -> definition JSON
    KEYS[2] next  zset key -> next run (ms)

    ARGV[1] key
    ARGV[2] change channel

  Output:
    1 when the task existed, 0 otherwise
]]
local existed = redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
if existed == 1 then
  redis.call('PUBLISH', ARGV[2], ARGV[1])
end
return existed
