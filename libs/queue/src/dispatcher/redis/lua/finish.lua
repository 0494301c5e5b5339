--[[
  Writes the final outcome of a task, once: an entry in the origin's results stream (read by the
  origin's consumer group: callbacks and webhook) and, when a caller waits, a reply on that caller
  instance's own list. The task's status is its queue message's; this script keeps only a marker
  per task, so a second finish of the same task (a redelivery) does nothing.

  Input:
    KEYS[1] done     once-marker of the task (string, PEXPIRE retention)
    KEYS[2] results  stream of the origin service
    KEYS[3] reply    list of the waiting instance (optional)

    ARGV[1] '1' completed, '0' failed
    ARGV[2] result JSON (completed) or error JSON (failed)
    ARGV[3] attempts
    ARGV[4] marker retention (ms)
    ARGV[5] results stream approximate max length
    ARGV[6] taskId
    ARGV[7] type
    ARGV[8] webhook URL or ''
    ARGV[9] reply time-to-live (ms)
    ARGV[10] W3C traceparent of the handler's span or '' (the entry gets the field only when set)
    ARGV[11] W3C tracestate or ''

  Output:
    1 when written, 0 when the task's outcome was already written
]]
-- @include "now"
-- @include "oom-guard"

local done, results, reply = KEYS[1], KEYS[2], KEYS[3]
-- a task that ran records its outcome on a full Redis too (else it would run again, and a last
-- attempt would end dead-lettered without its origin hearing of it)
oomGuard(results, 'stream')
if not redis.call('SET', done, ARGV[1], 'NX', 'PX', ARGV[4]) then return 0 end
local now = nowMs()
local entry = { 'XADD', results, 'MAXLEN', '~', ARGV[5], '*', 'taskId', ARGV[6], 'type', ARGV[7], 'ok', ARGV[1],
  'value', ARGV[2], 'attempts', ARGV[3], 'finishedAt', now, 'hook', ARGV[8] }
if ARGV[10] and ARGV[10] ~= '' then
  entry[#entry + 1] = 'traceparent'
  entry[#entry + 1] = ARGV[10]
  if ARGV[11] ~= '' then
    entry[#entry + 1] = 'tracestate'
    entry[#entry + 1] = ARGV[11]
  end
end
-- A results stream or reply list of the wrong type fails the call with nothing written (the marker
-- is taken back), so a later attempt can still report the outcome once the key is repaired.
local added = redis.pcall(unpack(entry))
if type(added) == 'table' and added.err then
  redis.call('DEL', done)
  return redis.error_reply(added.err)
end
if reply then
  local pushed = redis.pcall('RPUSH', reply, cjson.encode({ t = ARGV[6], ok = ARGV[1] == '1', v = ARGV[2] }))
  if type(pushed) == 'table' and pushed.err then
    redis.call('XDEL', results, added)
    redis.call('DEL', done)
    return redis.error_reply(pushed.err)
  end
  redis.call('PEXPIRE', reply, ARGV[9])
end
return 1
