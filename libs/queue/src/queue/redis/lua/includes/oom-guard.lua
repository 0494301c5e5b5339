-- Keeps the calling script whole when Redis is at maxmemory (policy noeviction). Redis refuses a
-- script's write that may grow memory (OOM) only while the script has written nothing yet, so that
-- no script stops half-way; this first write deletes a field that never exists. Called first by
-- the scripts workers and operators need on a full Redis (taking, acknowledging, retrying,
-- renewing leases, the worker registry, pausing): workers go on draining the queue, which frees
-- memory, while publishes stay refused (RedisOutOfMemoryError: back-pressure on producers).
-- Needs: a key holding a hash (or nothing).
local function oomGuard(hash)
  redis.call('HDEL', hash, '~oom-guard')
end
