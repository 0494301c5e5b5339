-- A fetch's record: the field '>' .. token of `leases` (never an id: ids are made of [0-9a-z~],
-- util/unique-id.ts and partitioned/partition-layout.ts) lists the ids that fetch took,
-- comma-joined, from the fetch until one of its deliveries is settled (the worker got the reply,
-- so it is not needed) or a lease of its expires.
-- A client sends a command again when its connection closed before the reply came (a Redis
-- restart, a network blip, a dead path closed by the socket timeout): the fetch then runs twice
-- with the same lease token, and the second run returns what the first took, instead of that
-- staying leased to no one until the lease expired and the attempt counted as failed.
-- Needs: leases (key).
local function fetchRecordField(token)
  return '>' .. token
end

-- The record fields of the fetches whose lease tokens are given (repeats allowed, false skipped),
-- after `extra[from..to]` when given (fields deleted in the same HDEL).
local function fetchRecordFields(tokens, extra, from, to)
  local fields, seen = {}, {}
  if extra then
    for i = from, to do fields[#fields + 1] = extra[i] end
  end
  for _, token in ipairs(tokens) do
    if token and not seen[token] then
      seen[token] = true
      fields[#fields + 1] = fetchRecordField(token)
    end
  end
  return fields
end

-- Forgets the records of the fetches whose lease tokens are given (repeats allowed, false skipped).
local function forgetFetches(tokens)
  local fields = fetchRecordFields(tokens)
  if #fields > 0 then redis.call('HDEL', leases, unpack(fields)) end
end
