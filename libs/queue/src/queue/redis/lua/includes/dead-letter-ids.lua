-- The dead letters a dlq-replay or dlq-delete call works on: the ids it names or, with none, up to
-- limit of the oldest. Needs: dlq key.
local function deadLetterIds(limit, named)
  if #named > 0 then
    return named
  end
  return redis.call('ZRANGE', dlq, 0, limit - 1)
end
