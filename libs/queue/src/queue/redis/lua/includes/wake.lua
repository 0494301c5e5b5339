-- Leaves one wake-up token for a worker blocked in BLPOP on the wake list (at most one waits
-- in the list, so tokens never pile up). Needs: wake key. A wake key of the wrong type is
-- skipped (workers then find work at their idle timeout): a wake-up never fails a step.
local function wakeOne()
  local waiting = redis.pcall('LLEN', wake)
  if waiting == 0 then
    redis.pcall('RPUSH', wake, '1')
  end
end
