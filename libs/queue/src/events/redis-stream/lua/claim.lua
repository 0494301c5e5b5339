--[[
  Reclaims entries of the group that stayed pending longer than minIdleMs (their handler failed,
  or their consumer died) with XAUTOCLAIM, for this consumer. Entries claimed beyond maxDeliveries
  go to the dead-letter stream instead (reason "max_deliveries"); entries trimmed away meanwhile
  are acknowledged.

  Input:
    KEYS[1]   stream      the channel's stream
    KEYS[2]   dead        the channel's dead-letter stream
    ARGV[1]   group       consumer group (service name)
    ARGV[2]   consumer    this process's consumer name
    ARGV[3]   minIdleMs
    ARGV[4]   count       most entries to claim
    ARGV[5]   maxDeliveries
    ARGV[6]   deadMaxLen  approximate maximum length of the dead-letter stream

  Output:
    { entries, deadCount } where entries is an array of { id, deliveries, fields }
]]
local stream, dead = KEYS[1], KEYS[2]
local group, consumer = ARGV[1], ARGV[2]
local minIdle, count = tonumber(ARGV[3]), tonumber(ARGV[4])
local maxDeliveries, deadMaxLen = tonumber(ARGV[5]), tonumber(ARGV[6])
if not minIdle or not count or not maxDeliveries or not deadMaxLen then
  return redis.error_reply('ERR ev claim: invalid arguments')
end

-- @include "dead-letter"

local claimed = redis.call('XAUTOCLAIM', stream, group, consumer, minIdle, '0-0', 'COUNT', count)
local out = {}
local deadCount = 0
for _, entry in ipairs(claimed[2]) do
  local id, fields = entry[1], entry[2]
  if not fields or fields == false then
    redis.call('XACK', stream, group, id)
  else
    local info = redis.call('XPENDING', stream, group, id, id, 1)
    local deliveries = info[1] and tonumber(info[1][4]) or 1
    if deliveries > maxDeliveries then
      deadLetter(stream, dead, group, deadMaxLen, id, deliveries - 1,
        'max_deliveries: not acknowledged after ' .. (deliveries - 1) .. ' deliveries (consumer died or gave up)')
      deadCount = deadCount + 1
    else
      out[#out + 1] = {id, deliveries, fields}
    end
  end
end
return {out, deadCount}
