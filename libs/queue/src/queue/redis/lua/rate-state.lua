--[[
  Rate-limit state for operators (read-only; no message step reads it): the token buckets of the
  queue's limits and the messages parked behind a limit, counted per task type over a bounded scan
  of the parked lists (head first, tier by tier).

  Input:
    KEYS[1]    rate      hash limit name ('*' or a task type) -> theoretical arrival time (ms)
    KEYS[2]    msgs      hash id -> body
    KEYS[3..6] parked lists (critical, high, normal, low)

    ARGV[1]    most parked entries to look at, the four lists together (0: count per tier only)

  Output:
    { now (ms), {name, tat, ...}, {parked critical, high, normal, low}, {type, count, ...}, entries looked at }
]]
-- @include "now"

local CHUNK = 200
local now = nowMs()
local budget = tonumber(ARGV[1]) or 0
local lens = {}
local byType = {}
local looked = 0
for tier = 1, 4 do
  local key = KEYS[2 + tier]
  lens[tier] = redis.call('LLEN', key)
  local from = 0
  while budget > 0 and from < lens[tier] do
    local n = math.min(CHUNK, budget)
    local ids = redis.call('LRANGE', key, from, from + n - 1)
    if #ids == 0 then break end
    local bodies = redis.call('HMGET', KEYS[2], unpack(ids))
    for i = 1, #ids do
      local body = bodies[i]
      -- the task type is the sixth field of the body header (message-codec.ts; as rateTypeOf in rate-limit.lua)
      local t = body and string.match(body, '^1|[^|]*|[^|]*|[^|]*|[^|]*|([^|]*)|')
      if t then byType[t] = (byType[t] or 0) + 1 end
    end
    from = from + #ids
    budget = budget - #ids
    looked = looked + #ids
  end
end
local flat = {}
for t, n in pairs(byType) do
  flat[#flat + 1] = t
  flat[#flat + 1] = n
end
return { now, redis.call('HGETALL', KEYS[1]), lens, flat, looked }
