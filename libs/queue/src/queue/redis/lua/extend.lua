--[[
  Renews the leases of deliveries still held under their lease token. A lease is never shortened
  (GT): a renewal sent before a handler's longer extendLease but applied after it keeps the longer one.

  Input:
    KEYS[1] inflight zset id -> lease deadline
    KEYS[2] leases   hash id -> lease token

    ARGV[1] lease length in ms from now
    ARGV[2] n
    then 2 per delivery: id, lease token

  Output:
    array of the positions (1-based) of the stale deliveries (lease lost: the message was put
    back or delivered again, or is unknown)
]]
local inflight, leases = KEYS[1], KEYS[2]

-- @include "now"
-- @include "oom-guard"

local deadline = nowMs() + tonumber(ARGV[1])
oomGuard(leases)
local n = tonumber(ARGV[2])
local ids = {}
for i = 1, n do ids[i] = ARGV[1 + i * 2] end
local tokens = redis.call('HMGET', leases, unpack(ids))
local stale = {}
local zargs = {}
for i = 1, n do
  if tokens[i] == ARGV[2 + i * 2] then
    zargs[#zargs + 1] = deadline
    zargs[#zargs + 1] = ids[i]
  else
    stale[#stale + 1] = i
  end
end
if #zargs > 0 then
  redis.call('ZADD', inflight, 'XX', 'GT', unpack(zargs))
end
return stale
