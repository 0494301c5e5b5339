--[[
  Enqueues a batch of messages, all or nothing (every argument is checked before the first write).

  Input:
    KEYS[1..4] tier lists (critical, high, normal, low)
    KEYS[5]    msgs      hash id -> body
    KEYS[6]    delayed   zset id -> due time (ms)
    KEYS[7]    stats     hash of counters
    KEYS[8]    seq       id counter
    KEYS[9]    wake      wake-up list
    KEYS[10..] idempotency keys, one per message that has one

    ARGV[1]    n, the number of messages
    ARGV[2]    'plain': then n bodies, each ready at once without idempotency key
               (its tier is read from the body), or
    ARGV[2]    'full': then 6 per message:
      priority  0..3
      delayMs   >= 0
      idemKey   index into KEYS of its idempotency key, 0 for none
      idemTtlMs
      id        '' to issue one from seq, or an id chosen by the producer (outbox)
      body      encoded message

  Output:
    array of n ids (for a repeated idempotency key, the id the key first received)
]]
local tiers = {KEYS[1], KEYS[2], KEYS[3], KEYS[4]}
local msgs, delayed, stats, seq, wake = KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9]

-- @include "now"
-- @include "wake"

local n = tonumber(ARGV[1])
local plain = ARGV[2] == 'plain'

-- Returns priority, delay, idempotency index and ttl, body of message i (0-based), or nil if invalid.
local function message(i)
  if plain then
    local body = ARGV[3 + i]
    local p = body and tonumber(string.sub(body, 3, 3))
    if not p or string.sub(body, 1, 2) ~= '1|' then return nil end
    return p, 0, 0, 0, body, ''
  end
  local base = 2 + i * 6
  local p, delay, idem = tonumber(ARGV[base + 1]), tonumber(ARGV[base + 2]), tonumber(ARGV[base + 3])
  if not p or not delay or delay < 0 or not idem or (idem > 0 and not KEYS[idem]) then return nil end
  return p, delay, idem, ARGV[base + 4], ARGV[base + 6], ARGV[base + 5]
end

for i = 0, n - 1 do
  local p = message(i)
  if not p or p < 0 or p > 3 then
    return redis.error_reply('ERR publish: message ' .. (i + 1) .. ' has invalid arguments')
  end
end

local now = nowMs()
local last = redis.call('INCRBY', seq, n)
local ids = {}
local hset = {}
local ready = {{}, {}, {}, {}}
local added = 0

for i = 0, n - 1 do
  local p, delay, idem, ttl, body, given = message(i)
  local id = given
  if id == '' then id = tostring(last - n + i + 1) end
  local existing = false
  if idem > 0 then
    existing = redis.call('GET', KEYS[idem])
    if not existing then
      redis.call('SET', KEYS[idem], id, 'PX', ttl)
    end
  end
  if existing then
    ids[i + 1] = existing
  else
    ids[i + 1] = id
    added = added + 1
    hset[#hset + 1] = id
    hset[#hset + 1] = body
    if delay > 0 then
      redis.call('ZADD', delayed, now + delay, id)
    else
      local list = ready[p + 1]
      list[#list + 1] = id
    end
  end
end

for i = 1, #hset, 2000 do
  redis.call('HSET', msgs, unpack(hset, i, math.min(i + 1999, #hset)))
end
for tier = 1, 4 do
  local list = ready[tier]
  for i = 1, #list, 1000 do
    redis.call('RPUSH', tiers[tier], unpack(list, i, math.min(i + 999, #list)))
  end
end
if added > 0 then
  redis.call('HINCRBY', stats, 'published', added)
  wakeOne()
end
return ids
