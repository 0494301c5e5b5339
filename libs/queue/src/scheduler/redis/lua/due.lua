--[[
  What the scheduler loop must do now: recurring tasks whose next run is due; one-off tasks that
  became due since the last look (their queues get a wake-up, see nudge.lua); and how long until
  the next of either. One-off index entries over a minute past due are pruned.

  Input:
    KEYS[1] next      zset key -> next run (ms)
    KEYS[2] rec       hash key -> definition JSON
    KEYS[3] once      zset one-off id -> due time (ms)
    KEYS[4] oncedefs  hash one-off id -> task JSON

    ARGV[1] most recurring entries to return
    ARGV[2] one-off entries due after this time (ms) and up to now are returned

  Output:
    { now (ms, server time),
      wait (ms until the earliest future recurring run or one-off due time, -1 when there is none),
      keys, next runs, definitions (false when missing),
      one-off ids that became due }
]]
local nxt, rec, once, oncedefs = KEYS[1], KEYS[2], KEYS[3], KEYS[4]

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

local stale = redis.call('ZRANGEBYSCORE', once, '-inf', now - 60000, 'LIMIT', 0, 1000)
if #stale > 0 then
  redis.call('ZREM', once, unpack(stale))
  redis.call('HDEL', oncedefs, unpack(stale))
end
local onceDue = redis.call('ZRANGEBYSCORE', once, '(' .. ARGV[2], now, 'LIMIT', 0, 1000)

local wait = -1
local function consider(key)
  local first = redis.call('ZRANGEBYSCORE', key, '(' .. now, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
  if first[2] then
    local w = tonumber(first[2]) - now
    if wait < 0 or w < wait then wait = w end
  end
end
consider(nxt)
consider(once)
return {now, wait, keys, runs, defs, onceDue}
