--[[
  Where a message is now.

  Input:
    KEYS[1] msgs     hash id -> body
    KEYS[2] inflight zset id -> lease deadline
    KEYS[3] delayed  zset id -> due time
    KEYS[4] att      hash id -> attempts ended
    KEYS[5] errors   hash id -> last error JSON
    KEYS[6] results  hash id -> result record JSON
    KEYS[7] dlq      zset id -> dead time
    KEYS[8] dlqinfo  hash id -> dead-letter info JSON
    KEYS[9] leases   hash id -> lease token
    KEYS[10] progress hash id -> "<lease token> <written at ms> <progress JSON>"
    KEYS[11] done     zset id -> finished time

    ARGV[1] id
    ARGV[2] completed results max age in ms (a result older than this is past retention even
            before a later completion prunes it)

  Output:
    nil when unknown (never published, or completed and past retention), else
    { state, body or nil, attempts ended, next time (ms) or nil, detail JSON or nil,
      processing: the running delivery's progress entry "<written at ms> <JSON>" or nil }
    state: completed | dead | processing | delayed | retrying | pending
]]
local msgs, inflight, delayed, att, errors, results, dlq, dlqinfo, leases, progress, done =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10], KEYS[11]
local id = ARGV[1]

-- @include "now"

local result = redis.call('HGET', results, id)
if result then
  local finished = tonumber(redis.call('ZSCORE', done, id) or '0')
  if finished > nowMs() - tonumber(ARGV[2]) then
    return {'completed', false, 0, false, result}
  end
end
local body = redis.call('HGET', msgs, id)
local ended = tonumber(redis.call('HGET', att, id) or '0')
if redis.call('ZSCORE', dlq, id) then
  return {'dead', body, ended, false, redis.call('HGET', dlqinfo, id)}
end
local lease = redis.call('ZSCORE', inflight, id)
if lease then
  local entry = redis.call('HGET', progress, id)
  local shown = false
  if entry then
    local owner, rest = string.match(entry, '^(%S+) (.*)$')
    if owner and owner == redis.call('HGET', leases, id) then shown = rest end
  end
  return {'processing', body, ended, lease, false, shown}
end
local due = redis.call('ZSCORE', delayed, id)
local err = redis.call('HGET', errors, id)
if due then
  if ended > 0 then return {'retrying', body, ended, due, err} end
  return {'delayed', body, ended, due, false}
end
if not body then
  return false
end
if ended > 0 then
  return {'retrying', body, ended, false, err}
end
return {'pending', body, ended, false, false}
