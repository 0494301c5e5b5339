--[[
  Passes a progress report of a running task to its origin: an entry in the origin's results
  stream marked as progress (read by its consumer group: onProgress callbacks) and/or an entry on
  the waiting caller instance's reply list. Nothing is written once the task's outcome was (its
  once-marker exists): a late report never follows the outcome.

  Input:
    KEYS[1] done     once-marker of the task (string, set by finish.lua)
    KEYS[2] results  stream of the origin service
    KEYS[3] reply    list of the waiting instance (optional)

    ARGV[1] progress JSON
    ARGV[2] running attempt
    ARGV[3] results stream approximate max length
    ARGV[4] taskId
    ARGV[5] type
    ARGV[6] '1' to add a results entry, '0' for the reply only
    ARGV[7] reply time-to-live (ms)

  Output:
    1 when written, 0 when the task's outcome was already written
]]
-- @include "now"

local done, results, reply = KEYS[1], KEYS[2], KEYS[3]
if redis.call('EXISTS', done) == 1 then return 0 end
if ARGV[6] == '1' then
  redis.call('XADD', results, 'MAXLEN', '~', ARGV[3], '*', 'taskId', ARGV[4], 'type', ARGV[5], 'ok', '1',
    'value', ARGV[1], 'attempts', ARGV[2], 'finishedAt', nowMs(), 'progress', '1')
end
if reply then
  redis.call('RPUSH', reply, cjson.encode({ t = ARGV[4], ok = true, v = ARGV[1], p = 1, a = tonumber(ARGV[2]) }))
  redis.call('PEXPIRE', reply, ARGV[7])
end
return 1
