--[[
  Compare-and-set of the next runs of recurring tasks, one step per occurrence handled (the due
  tasks a loop pass fired, in one call): each moves a task's next run from the occurrence just
  handled to the next one, only if it still equals that occurrence (another replica did not
  advance it, the task was not re-timed or removed). The replica whose CAS succeeds counts the run.

  Input:
    KEYS[1] next   zset key -> next run (ms)
    KEYS[2] stats  hash of counters

    ARGV[1..] 4 per step, in order: key, expected next run (the occurrence handled), new next run,
              '1' when the occurrence was published or '0' when it was skipped

  Output:
    per step, in order: 1 when advanced, 0 when the next run had changed
]]
-- @include "counter"
local out = {}
local fired, skipped = 0, 0
for i = 1, #ARGV, 4 do
  local key = ARGV[i]
  local current = redis.call('ZSCORE', KEYS[1], key)
  if current and tonumber(current) == tonumber(ARGV[i + 1]) then
    redis.call('ZADD', KEYS[1], ARGV[i + 2], key)
    if ARGV[i + 3] == '1' then fired = fired + 1 else skipped = skipped + 1 end
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
if fired > 0 then bump(KEYS[2], 'total', fired) end
if skipped > 0 then bump(KEYS[2], 'skipped', skipped) end
return out
