--[[
  Keeps results this instance is still delivering (callbacks, webhook) from being taken over by a
  peer's XAUTOCLAIM after claimIdleMs (includes/stream-renew.lua).

  Input:
    KEYS[1]   results   stream of this service

    ARGV[1]   group     consumer group (the service name)
    ARGV[2]   consumer  this instance's consumer name
    ARGV[3..] ids of the entries being delivered

  Output:
    the ids still owned and renewed
]]
-- @include "stream-renew"
return renewPending(KEYS[1], ARGV[1], ARGV[2], ARGV, 3)
