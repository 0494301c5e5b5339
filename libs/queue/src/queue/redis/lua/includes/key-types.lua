-- Fails the script with WRONGTYPE before its first write when one of the keys holds another Redis
-- type than the one the queue keeps there, so a damaged key never leaves a message half-moved (the
-- loader turns the reply into RedisKeyTypeError naming the key). checks: key, type, key, type, ...
local function assertTypes(checks)
  for i = 1, #checks, 2 do
    local t = redis.call('TYPE', checks[i]).ok
    if t ~= 'none' and t ~= checks[i + 1] then
      error({ err = 'WRONGTYPE ' .. checks[i] .. ' holds a ' .. t .. ', expected a ' .. checks[i + 1] })
    end
  end
end
