--[[
  One page of the dead-letter queue, newest first; or one entry.

  Input:
    KEYS[1] dlq     zset id -> dead time
    KEYS[2] dlqinfo hash id -> dead-letter info JSON
    KEYS[3] msgs    hash id -> body

    ARGV[1] 'page' or 'get'
    ARGV[2] offset (page) or id (get)
    ARGV[3] limit (page)

  Output:
    { total, ids, dead times, bodies (nil when missing), info JSONs }
]]
local dlq, dlqinfo, msgs = KEYS[1], KEYS[2], KEYS[3]
local ids, times = {}, {}
if ARGV[1] == 'get' then
  local score = redis.call('ZSCORE', dlq, ARGV[2])
  if not score then return {0, {}, {}, {}, {}} end
  ids[1] = ARGV[2]
  times[1] = score
else
  local offset = tonumber(ARGV[2])
  local flat = redis.call('ZREVRANGE', dlq, offset, offset + tonumber(ARGV[3]) - 1, 'WITHSCORES')
  for i = 1, #flat, 2 do
    ids[#ids + 1] = flat[i]
    times[#times + 1] = flat[i + 1]
  end
end
local total = redis.call('ZCARD', dlq)
if #ids == 0 then return {total, {}, {}, {}, {}} end
return {total, ids, times, redis.call('HMGET', msgs, unpack(ids)), redis.call('HMGET', dlqinfo, unpack(ids))}
