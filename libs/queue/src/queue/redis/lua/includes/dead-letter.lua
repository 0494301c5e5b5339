-- @include "counter"
-- Dead letters. deadLetter records id as dead (its body stays in the message hash) and applies the bounds:
-- entries older than dlqMaxAge, then the oldest over dlqMaxSize, are deleted and counted.
-- Needs: msgs, att, errors, dlq, dlqinfo, stats keys.
local function removeDead(ids)
  for i = 1, #ids, 1000 do
    local last = math.min(i + 999, #ids)
    redis.call('ZREM', dlq, unpack(ids, i, last))
    redis.call('HDEL', dlqinfo, unpack(ids, i, last))
    redis.call('HDEL', msgs, unpack(ids, i, last))
    redis.call('HDEL', att, unpack(ids, i, last))
    redis.call('HDEL', errors, unpack(ids, i, last))
  end
end

-- Final failure with the dead-letter queue disabled: the message is deleted and counted.
local function dropMessage(id)
  redis.call('HDEL', msgs, id)
  redis.call('HDEL', att, id)
  redis.call('HDEL', errors, id)
  bump(stats, 'dropped', 1)
end

local function deadLetter(id, infoJson, now, dlqMaxSize, dlqMaxAge)
  redis.call('ZADD', dlq, now, id)
  redis.call('HSET', dlqinfo, id, infoJson)
  redis.call('HDEL', errors, id)
  bump(stats, 'dead_letter', 1)
  local trimmed = 0
  local old = redis.call('ZRANGEBYSCORE', dlq, '-inf', now - dlqMaxAge, 'LIMIT', 0, 1000)
  if #old > 0 then
    removeDead(old)
    trimmed = trimmed + #old
  end
  local excess = redis.call('ZCARD', dlq) - dlqMaxSize
  if excess > 0 then
    local popped = redis.call('ZRANGE', dlq, 0, excess - 1)
    removeDead(popped)
    trimmed = trimmed + #popped
  end
  if trimmed > 0 then
    bump(stats, 'dead_letter_trimmed', trimmed)
  end
end
