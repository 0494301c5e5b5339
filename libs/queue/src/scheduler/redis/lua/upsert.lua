--[[
  Creates or updates a recurring task. The next run (and the definition's createdAt and interval
  anchor) are kept when the timing signature did not change (an update of payload or queue does
  not move the schedule), else the next run is set to ARGV[4].
  Wakes every scheduler loop through pub/sub.

  Input:
    KEYS[1] rec   hash key -> definition JSON (with field "sig")
    KEYS[2] next  zset key -> next run (ms)

    ARGV[1] key
    ARGV[2] definition JSON, starting with {"createdAt":<ms>,"anchor":<ms>,
    ARGV[3] timing signature
    ARGV[4] next run (ms) for a new or re-timed task
    ARGV[5] change channel

  Output:
    1 when created, 0 when updated
]]
local rec, nxt = KEYS[1], KEYS[2]
local key, json, sig, nextRun, channel = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]

local old = redis.call('HGET', rec, key)
local created = 1
local keep = false
if old then
  created = 0
  local ok, decoded = pcall(cjson.decode, old)
  if ok and type(decoded) == 'table' and decoded.sig == sig and redis.call('ZSCORE', nxt, key) then
    keep = true
    -- same timing: the task keeps its creation time and its interval grid (both lead the JSON)
    local head = string.format('{"createdAt":%.0f,"anchor":%.0f,', tonumber(decoded.createdAt) or 0, tonumber(decoded.anchor) or 0)
    json = string.gsub(json, '^{"createdAt":%-?%d+,"anchor":%-?%d+,', head, 1)
  end
end
redis.call('HSET', rec, key, json)
if not keep then
  redis.call('ZADD', nxt, nextRun, key)
end
redis.call('PUBLISH', channel, key)
return created
