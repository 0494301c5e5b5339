--[[
  Compare-and-set of a recurring task's next run: moves it from the occurrence just handled to
  the next one, only if it still equals that occurrence (another replica did not advance it, the
  task was not re-timed or removed). The replica whose CAS succeeds counts the run.

  Input:
    KEYS[1] next   zset key -> next run (ms)
    KEYS[2] stats  hash of counters

    ARGV[1] key
    ARGV[2] expected next run (the occurrence handled)
    ARGV[3] new next run
    ARGV[4] '1' when the occurrence was published, '0' when it was skipped

  Output:
    1 when advanced, 0 when the next run had changed
]]
-- @include "counter"
local current = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not current or tonumber(current) ~= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
if ARGV[4] == '1' then
  bump(KEYS[2], 'total', 1)
else
  bump(KEYS[2], 'skipped', 1)
end
return 1
