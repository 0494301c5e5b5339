-- Keeps the calling script whole when Redis is at maxmemory (policy noeviction). Redis refuses a
-- script's write that may grow memory (OOM) only while the script has written nothing yet, so that
-- no script stops half-way; this first write deletes something that never exists. Called first by
-- the scripts that finish work already taken, on a full Redis too: a queue's taking,
-- acknowledging, retrying, lease renewal, worker registry and pause; a dispatched task's outcome.
-- The queue drains, which frees memory, while publishes stay refused (RedisOutOfMemoryError:
-- back-pressure on producers). Needs: `key` holds a hash (kind 'hash', the default) or a stream
-- ('stream'), or nothing.
local function oomGuard(key, kind)
  if kind == 'stream' then
    redis.call('XDEL', key, '0-0') -- no entry has the id 0-0
  else
    redis.call('HDEL', key, '~oom-guard')
  end
end
