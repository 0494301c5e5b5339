--[[
  Records the progress of a delivery: replaces the message's progress entry, unless the message is
  no longer in flight under this lease token (a late value from an earlier delivery is dropped).
  The entry carries the lease token, so status shows it only while that delivery holds the lease.
  When recorded, the event ARGV[5] is published on the queue's progress channel (onProgress listeners).
  Entries of deliveries that ended stay until pruned here: once the hash has more than ARGV[4]
  entries and more than twice as many as there are leases, up to about 200 entries whose lease
  moved on are deleted (the hash stays bounded without any work in the other scripts).

  Input:
    KEYS[1] leases   hash id -> lease token
    KEYS[2] progress hash id -> "<lease token> <written at ms> <progress JSON>"

    ARGV[1] id
    ARGV[2] lease token of the delivery
    ARGV[3] progress JSON
    ARGV[4] entries kept before pruning
    ARGV[5] progress event JSON, published on ARGV[6]
    ARGV[6] progress channel (`<prefix>:{<queue>}:progress`, a pub/sub channel, not a key)

  Output:
    1 when recorded, 0 when the delivery was stale
]]
local leases, progress = KEYS[1], KEYS[2]

-- @include "now"

local id, token = ARGV[1], ARGV[2]
if redis.call('HGET', leases, id) ~= token then
  return 0
end
redis.call('HSET', progress, id, token .. ' ' .. nowMs() .. ' ' .. ARGV[3])
redis.call('PUBLISH', ARGV[6], ARGV[5])

local size = redis.call('HLEN', progress)
if size > tonumber(ARGV[4]) and size > 2 * redis.call('HLEN', leases) then
  local cursor, pruned, rounds = '0', 0, 0
  repeat
    local page = redis.call('HSCAN', progress, cursor, 'COUNT', 100)
    cursor = page[1]
    local entries = page[2]
    for i = 1, #entries, 2 do
      local field, value = entries[i], entries[i + 1]
      local owner = string.match(value, '^(%S+) ')
      if redis.call('HGET', leases, field) ~= owner then
        redis.call('HDEL', progress, field)
        pruned = pruned + 1
      end
    end
    rounds = rounds + 1
  until cursor == '0' or pruned >= 200 or rounds >= 10
end
return 1
