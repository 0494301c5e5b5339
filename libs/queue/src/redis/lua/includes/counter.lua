-- Counters that survive damage. HINCRBY on a field that holds a non-integer (or on a key of the
-- wrong type) would fail the script after its earlier writes; bump resets such a field to the
-- increment instead (a key of the wrong type only loses the count). Returns the new value.
local function bump(key, field, n)
  local v = redis.pcall('HINCRBY', key, field, n)
  if type(v) == 'number' then return v end
  redis.pcall('HSET', key, field, n)
  return n
end
