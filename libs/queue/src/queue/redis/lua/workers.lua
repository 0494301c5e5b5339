--[[
  The queue's worker registry (operator tools only; no message step reads it). Each process that
  consumes the queue beats every few seconds with a small JSON record (host, pid, concurrency,
  publish-to-start counts); its lease tokens end with the same id (util/unique-id.ts), which links
  a message in flight to the worker holding it.

  Input:
    KEYS[1] workers     zset worker id -> last heartbeat (ms, server time)
    KEYS[2] workerinfo  hash worker id -> record JSON

    ARGV[1] 'beat', 'remove' or 'list'
    ARGV[2] stale after this many ms: a beat forgets workers not seen for as long (at most 100 per
            beat), a list leaves them out
    ARGV[3] worker id (beat, remove)
    ARGV[4] record JSON (beat)

  Output:
    beat, remove: 1
    list: { now (ms), ids, last heartbeats (ms), records }
]]
local workers, info = KEYS[1], KEYS[2]
-- @include "now"
-- @include "oom-guard"
local now = nowMs()
oomGuard(info)
local cutoff = now - tonumber(ARGV[2])
if ARGV[1] == 'beat' then
  redis.call('ZADD', workers, now, ARGV[3])
  redis.call('HSET', info, ARGV[3], ARGV[4])
  local stale = redis.call('ZRANGEBYSCORE', workers, '-inf', '(' .. cutoff, 'LIMIT', 0, 100)
  if #stale > 0 then
    redis.call('ZREM', workers, unpack(stale))
    redis.call('HDEL', info, unpack(stale))
  end
  return 1
end
if ARGV[1] == 'remove' then
  redis.call('ZREM', workers, ARGV[3])
  redis.call('HDEL', info, ARGV[3])
  return 1
end
local flat = redis.call('ZRANGEBYSCORE', workers, cutoff, '+inf', 'WITHSCORES', 'LIMIT', 0, 1000)
local ids, seen = {}, {}
for i = 1, #flat, 2 do
  ids[#ids + 1] = flat[i]
  seen[#seen + 1] = flat[i + 1]
end
local records = {}
if #ids > 0 then records = redis.call('HMGET', info, unpack(ids)) end
return {now, ids, seen, records}
