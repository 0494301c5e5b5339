--[[
  Moves entries whose handler failed on their last allowed delivery to the dead-letter stream,
  with the reason, and acknowledges them in the group.

  Input:
    KEYS[1]   stream     the channel's stream
    KEYS[2]   dead       the channel's dead-letter stream
    ARGV[1]   group      consumer group (service name)
    ARGV[2]   deadMaxLen approximate maximum length of the dead-letter stream
    ARGV[3]   n, the number of entries
    then 3 per entry: id, deliveries, reason

  Output:
    the number of entries copied to the dead-letter stream
]]
local stream, dead = KEYS[1], KEYS[2]
local group = ARGV[1]
local deadMaxLen = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
if not deadMaxLen or not n or #ARGV ~= 3 + n * 3 then
  return redis.error_reply('ERR ev dead-letter: invalid arguments')
end

-- @include "dead-letter"

local copied = 0
for i = 0, n - 1 do
  local base = 4 + i * 3
  copied = copied + deadLetter(stream, dead, group, deadMaxLen, ARGV[base], ARGV[base + 1], ARGV[base + 2])
end
return copied
