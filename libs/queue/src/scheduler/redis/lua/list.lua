--[[
  Everything scheduled: one-off tasks not yet due (due ones are pruned from the index first: the
  queue owns them from then on) and every recurring task with its next run.

  Input:
    KEYS[1] once      zset id -> due time (ms)
    KEYS[2] oncedefs  hash id -> info JSON
    KEYS[3] rec       hash key -> definition JSON
    KEYS[4] next      zset key -> next run (ms)

  Output:
    { once: flat {id, due, info JSON, ...}, recurring: flat {key, next run, definition JSON, ...} }
]]
local once, oncedefs, rec, nxt = KEYS[1], KEYS[2], KEYS[3], KEYS[4]

-- @include "now"

local now = nowMs()
local gone = redis.call('ZRANGEBYSCORE', once, '-inf', now)
for i = 1, #gone, 1000 do
  local last = math.min(i + 999, #gone)
  redis.call('ZREM', once, unpack(gone, i, last))
  redis.call('HDEL', oncedefs, unpack(gone, i, last))
end
local out1 = {}
local pending = redis.call('ZRANGE', once, 0, -1, 'WITHSCORES')
for i = 1, #pending, 2 do
  out1[#out1 + 1] = pending[i]
  out1[#out1 + 1] = pending[i + 1]
  out1[#out1 + 1] = redis.call('HGET', oncedefs, pending[i]) or ''
end
local out2 = {}
local all = redis.call('HGETALL', rec)
for i = 1, #all, 2 do
  out2[#out2 + 1] = all[i]
  out2[#out2 + 1] = redis.call('ZSCORE', nxt, all[i]) or '-1'
  out2[#out2 + 1] = all[i + 1]
end
return {out1, out2}
