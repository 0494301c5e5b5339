--[[
  A consistent snapshot of a queue's sizes and counters.

  Input:
    KEYS[1..4] tier lists (critical, high, normal, low)
    KEYS[5]    inflight zset
    KEYS[6]    delayed  zset
    KEYS[7]    dlq      zset
    KEYS[8]    stats    hash of counters
    KEYS[9..12] parked lists (critical .. low): held back by a rate limit, counted with their tier

  Output:
    { len critical, len high, len normal, len low, in flight, delayed, dead, {field, value, ...} }
]]
return {
  redis.call('LLEN', KEYS[1]) + redis.call('LLEN', KEYS[9]), redis.call('LLEN', KEYS[2]) + redis.call('LLEN', KEYS[10]),
  redis.call('LLEN', KEYS[3]) + redis.call('LLEN', KEYS[11]), redis.call('LLEN', KEYS[4]) + redis.call('LLEN', KEYS[12]),
  redis.call('ZCARD', KEYS[5]), redis.call('ZCARD', KEYS[6]), redis.call('ZCARD', KEYS[7]),
  redis.call('HGETALL', KEYS[8]),
}
