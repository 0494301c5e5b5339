--[[
  Keeps entries this consumer is still handling from being reclaimed by a peer
  (includes/stream-renew.lua).

  Input:
    KEYS[1]   stream    the channel's stream
    ARGV[1]   group     consumer group (service name)
    ARGV[2]   consumer  this process's consumer name
    ARGV[3..] ids of the entries being handled

  Output:
    the ids still owned and renewed
]]
-- @include "stream-renew"
return renewPending(KEYS[1], ARGV[1], ARGV[2], ARGV, 3)
