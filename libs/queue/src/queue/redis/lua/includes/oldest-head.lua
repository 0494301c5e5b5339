-- The creation time (ms) of the message at the head of a list (-1: empty list, or no body stored);
-- createdAt is the fifth field of the body header (message-codec.ts).
local function headCreatedAt(list, msgs)
  local id = redis.call('LINDEX', list, 0)
  if not id then return -1 end
  local body = redis.call('HGET', msgs, id)
  local at = body and string.match(body, '^1|[^|]*|[^|]*|[^|]*|(%d+)|')
  return at and tonumber(at) or -1
end

-- The older of two creation times (-1: none).
local function olderOf(a, b)
  if a < 0 then return b end
  if b < 0 then return a end
  return math.min(a, b)
end
