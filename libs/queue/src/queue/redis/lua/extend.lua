--[[
  Renews the leases of deliveries still held under their attempt.

  Input:
    KEYS[1] inflight zset id -> lease deadline
    KEYS[2] att      hash id -> attempts ended

    ARGV[1] lease length in ms from now
    ARGV[2] n
    then 2 per delivery: id, attempt

  Output:
    array of stale ids (lease lost: the message was put back or delivered again)
]]
local inflight, att = KEYS[1], KEYS[2]

-- @include "now"

local deadline = nowMs() + tonumber(ARGV[1])
local stale = {}
for i = 0, tonumber(ARGV[2]) - 1 do
  local id = ARGV[3 + i * 2]
  local ended = tonumber(redis.call('HGET', att, id) or '0')
  if ended == tonumber(ARGV[4 + i * 2]) - 1 and redis.call('ZSCORE', inflight, id) then
    redis.call('ZADD', inflight, 'XX', deadline, id)
  else
    stale[#stale + 1] = id
  end
end
return stale
