--[[
  Deletes dead letters (and their stored bodies).

  Input:
    KEYS[1] msgs    hash id -> body
    KEYS[2] att     hash id -> attempts ended
    KEYS[3] errors  hash id -> last error JSON
    KEYS[4] dlq     zset id -> dead time
    KEYS[5] dlqinfo hash id -> dead-letter info JSON

    ARGV[1] limit: with no ids, delete up to this many of the oldest
    ARGV[2..] ids (optional)

  Output:
    number deleted
]]
local msgs, att, errors, dlq, dlqinfo = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]

-- @include "dead-letter-ids"

local ids = deadLetterIds(tonumber(ARGV[1]), {unpack(ARGV, 2)})
local deleted = 0
for _, id in ipairs(ids) do
  if redis.call('ZREM', dlq, id) == 1 then
    redis.call('HDEL', dlqinfo, id)
    redis.call('HDEL', msgs, id)
    redis.call('HDEL', att, id)
    redis.call('HDEL', errors, id)
    deleted = deleted + 1
  end
end
return deleted
