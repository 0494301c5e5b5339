--[[
  Recurring tasks whose next run is due, and how long until the next one when none is.

  Input:
    KEYS[1] next  zset key -> next run (ms)
    KEYS[2] rec   hash key -> definition JSON

    ARGV[1] most entries to return

  Output:
    { now (ms, server time), wait (ms until the earliest next run, -1 when there is none;
      only meaningful when no entry is due), keys, next runs, definitions (false when missing) }
]]
local nxt, rec = KEYS[1], KEYS[2]

-- @include "now"

local now = nowMs()
local due = redis.call('ZRANGEBYSCORE', nxt, '-inf', now, 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[1]))
local keys, runs = {}, {}
for i = 1, #due, 2 do
  keys[#keys + 1] = due[i]
  runs[#runs + 1] = due[i + 1]
end
local defs = {}
if #keys > 0 then
  defs = redis.call('HMGET', rec, unpack(keys))
end
local wait = -1
if #keys == 0 then
  local first = redis.call('ZRANGE', nxt, 0, 0, 'WITHSCORES')
  if first[2] then
    wait = math.max(0, tonumber(first[2]) - now)
  end
end
return {now, wait, keys, runs, defs}
