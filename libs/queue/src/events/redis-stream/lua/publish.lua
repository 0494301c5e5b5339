--[[
  Appends events to a channel's stream, in order, and applies the channel's retention.

  Input:
    KEYS[1]   stream   the channel's stream
    ARGV[1]   maxLen   approximate maximum length (XADD MAXLEN ~), 0 = none
    ARGV[2]   maxAgeMs entries older than this are trimmed (XTRIM MINID ~), 0 = none
    ARGV[3]   n, the number of events
    ARGV[4]   f, the number of field/value strings per event
    then n * f strings: the fields and values of each event

  Output:
    array of n stream ids, in input order
]]
local stream = KEYS[1]
local maxLen = tonumber(ARGV[1])
local maxAge = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local f = tonumber(ARGV[4])
if not maxLen or not maxAge or not n or not f or maxLen < 0 or maxAge < 0 or f < 2 or f % 2 ~= 0
    or #ARGV ~= 4 + n * f then
  return redis.error_reply('ERR ev publish: invalid arguments')
end

local ids = {}
for i = 0, n - 1 do
  local first = 5 + i * f
  if maxLen > 0 then
    ids[i + 1] = redis.call('XADD', stream, 'MAXLEN', '~', maxLen, '*', unpack(ARGV, first, first + f - 1))
  else
    ids[i + 1] = redis.call('XADD', stream, '*', unpack(ARGV, first, first + f - 1))
  end
end

if maxAge > 0 then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  redis.call('XTRIM', stream, 'MINID', '~', tostring(now - maxAge) .. '-0')
end
return ids
