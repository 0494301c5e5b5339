-- Moves one pending entry of `stream` to the dead-letter stream `dead` for `group`: copies its
-- fields plus dead_id, dead_group, dead_reason and dead_deliveries, then acknowledges it.
-- An entry already trimmed from the stream is only acknowledged. Returns 1 when copied, else 0.
local function deadLetter(stream, dead, group, deadMaxLen, id, deliveries, reason)
  local found = redis.call('XRANGE', stream, id, id)
  local copied = 0
  if found[1] then
    local fields = found[1][2]
    fields[#fields + 1] = 'dead_id'
    fields[#fields + 1] = id
    fields[#fields + 1] = 'dead_group'
    fields[#fields + 1] = group
    fields[#fields + 1] = 'dead_reason'
    fields[#fields + 1] = reason
    fields[#fields + 1] = 'dead_deliveries'
    fields[#fields + 1] = tostring(deliveries)
    redis.call('XADD', dead, 'MAXLEN', '~', deadMaxLen, '*', unpack(fields))
    copied = 1
  end
  redis.call('XACK', stream, group, id)
  return copied
end
