--[[
  Keeps entries this consumer is still handling from being reclaimed: resets their idle time
  (XCLAIM ... JUSTID, which does not count a delivery), but only for entries still owned by this
  consumer (an entry a peer already reclaimed is left alone).

  Input:
    KEYS[1]   stream    the channel's stream
    ARGV[1]   group     consumer group (service name)
    ARGV[2]   consumer  this process's consumer name
    ARGV[3..] ids of the entries being handled

  Output:
    the ids still owned and renewed
]]
local stream = KEYS[1]
local group, consumer = ARGV[1], ARGV[2]
local renewed = {}
for i = 3, #ARGV do
  local id = ARGV[i]
  local info = redis.call('XPENDING', stream, group, id, id, 1)
  if info[1] and info[1][2] == consumer then
    redis.call('XCLAIM', stream, group, consumer, 0, id, 'JUSTID')
    renewed[#renewed + 1] = id
  end
end
return renewed
