--[[
  A consistent snapshot of a queue's sizes and counters.

  Input:
    KEYS[1..4] tier lists (critical, high, normal, low)
    KEYS[5]    inflight zset
    KEYS[6]    delayed  zset
    KEYS[7]    dlq      zset
    KEYS[8]    stats    hash of counters
    KEYS[9..12] parked lists (critical .. low): held back by a rate limit, counted with their tier
    KEYS[13..16] group rings (critical .. low): lists of the groups served in turn
    KEYS[17]   grun     hash group -> its messages in flight
    KEYS[18]   gblocked set of the groups at their concurrency limit
    KEYS[19]   gqueued  hash tier -> grouped ready messages, counted with their tier
    KEYS[20]   meta     hash ('u<tier>': the ring holds '~', the ungrouped messages' turn)

  Output:
    { len critical, len high, len normal, len low, in flight, delayed, dead, {field, value, ...},
      groups ready (in a ring, summed over tiers), groups blocked, groups with messages in flight }
]]
local grouped = redis.call('HMGET', KEYS[19], '1', '2', '3', '4')
local u = redis.call('HMGET', KEYS[20], 'u1', 'u2', 'u3', 'u4')
local ready = 0
for t = 1, 4 do
  ready = ready + redis.call('LLEN', KEYS[12 + t])
  if u[t] == '1' then ready = ready - 1 end
end
local function len(t)
  return redis.call('LLEN', KEYS[t]) + redis.call('LLEN', KEYS[8 + t]) + math.max(0, tonumber(grouped[t]) or 0)
end
return {
  len(1), len(2), len(3), len(4),
  redis.call('ZCARD', KEYS[5]), redis.call('ZCARD', KEYS[6]), redis.call('ZCARD', KEYS[7]),
  redis.call('HGETALL', KEYS[8]),
  ready, redis.call('SCARD', KEYS[18]), redis.call('HLEN', KEYS[17]),
}
