--[[
  Wakes one idle worker of a queue, exactly as the queue's own scripts do (a token on its wake list
  when none is there). The scheduler calls it when a one-off task it placed in that queue's delayed
  set becomes due, so the task is promoted at once rather than when the worker's blocking wait
  times out (Redis checks blocking timeouts only on its `hz` ticks, up to 100 ms apart).

  Input:
    KEYS[1] wake  the queue's wake list

  Output:
    1 when a token was left, 0 when one was already waiting
]]
if redis.call('LLEN', KEYS[1]) == 0 then
  redis.call('RPUSH', KEYS[1], '1')
  return 1
end
return 0
