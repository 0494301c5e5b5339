--[[
  One page of the completed results, newest first (read-only; operator tools). A result finished
  more than the completed max age ago is left out, and not counted, even before a later completion
  prunes it (as status.lua does).

  Input:
    KEYS[1] done     zset id -> finished time
    KEYS[2] results  hash id -> result record JSON

    ARGV[1] offset (>= 0)
    ARGV[2] limit (>= 1)
    ARGV[3] completed results max age in ms

  Output:
    { total results within the age, { id, finished time (ms), result record JSON or false, ... } }
]]
local done, results = KEYS[1], KEYS[2]

-- @include "now"

local after = '(' .. (nowMs() - tonumber(ARGV[3]))
local total = redis.call('ZCOUNT', done, after, '+inf')
local page = redis.call('ZREVRANGEBYSCORE', done, '+inf', after, 'WITHSCORES', 'LIMIT', tonumber(ARGV[1]), tonumber(ARGV[2]))
local out = {}
for i = 1, #page, 2 do
  out[#out + 1] = page[i]
  out[#out + 1] = page[i + 1]
  out[#out + 1] = redis.call('HGET', results, page[i])
end
return {total, out}
