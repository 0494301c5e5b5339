-- Leaves one wake-up token for a worker blocked in BLPOP on the wake list (at most one waits
-- in the list, so tokens never pile up). Needs: wake key.
local function wakeOne()
  if redis.call('LLEN', wake) == 0 then
    redis.call('RPUSH', wake, '1')
  end
end
