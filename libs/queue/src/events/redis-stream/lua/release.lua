--[[
  Gives back the delivery of entries this consumer read but handed to no handler (its
  subscription ended, or they were discarded from the handler buffer at unsubscribe or close):
  their delivery count goes down by one (never below 0) and their idle time is set to idleMs,
  so a peer's claim (XAUTOCLAIM after claimIdleMs) takes them at once, as the delivery they
  would have been. Only entries still pending for this consumer are touched (one a peer already
  reclaimed is left alone). XCLAIM ... JUSTID with RETRYCOUNT sets the count without adding one.

  Input:
    KEYS[1]   stream    the channel's stream
    ARGV[1]   group     consumer group (service name)
    ARGV[2]   consumer  this process's consumer name
    ARGV[3]   idleMs    idle time to give them (claimIdleMs)
    ARGV[4..] ids of the entries to give back

  Output:
    the ids given back
]]
local stream = KEYS[1]
local group, consumer = ARGV[1], ARGV[2]
local idle = tonumber(ARGV[3])
if not idle or idle < 0 then
  return redis.error_reply('ERR ev release: invalid arguments')
end
local released = {}
for i = 4, #ARGV do
  local id = ARGV[i]
  local info = redis.call('XPENDING', stream, group, id, id, 1)
  if info[1] and info[1][2] == consumer then
    local count = math.max(tonumber(info[1][4]) - 1, 0)
    redis.call('XCLAIM', stream, group, consumer, 0, id, 'IDLE', idle, 'RETRYCOUNT', count, 'JUSTID')
    released[#released + 1] = id
  end
end
return released
