--[[
  Takes replies for the waiting instance that owns the reply list. Replies are not popped but
  moved to the instance's taken list, where they stay until the instance has handed them out: a
  read whose reply never arrived (the connection died in between) leaves them there, and the next
  read returns them. Each call
    1. settles what the instance handed out after its last read: the first ARGV[1] entries of the
       taken list, when they are still there (a call sent again finds them gone and trims nothing),
    2. moves up to ARGV[4] more replies from the head of the reply list to the taken list,
    3. returns the whole taken list: what lost reads took, then what this call moved.
  The instance's blocking read (BLMOVE) moves into the taken list too.

  Input:
    KEYS[1] reply list of the instance (RPUSHed by finish.lua and progress.lua)
    KEYS[2] taken list of the instance

    ARGV[1] how many replies the instance handed out since its last call (0: none)
    ARGV[2] the first of them ('' when none)
    ARGV[3] the last of them ('' when none)
    ARGV[4] most replies to move from the reply list (0: none)
    ARGV[5] taken list time-to-live (ms)

  Output:
    the taken list after the call, oldest first
]]

local reply, taken = KEYS[1], KEYS[2]
local handed = tonumber(ARGV[1])
if handed > 0 and redis.call('LINDEX', taken, 0) == ARGV[2] and redis.call('LINDEX', taken, handed - 1) == ARGV[3] then
  redis.call('LTRIM', taken, handed, -1)
end
local most = tonumber(ARGV[4])
if most > 0 then
  local items = redis.call('LRANGE', reply, 0, most - 1)
  if #items > 0 then
    -- the LTRIM is this call's first write (Redis at maxmemory refuses a script's growing write
    -- only before it wrote anything), so the RPUSH runs on a full Redis too: a move, not growth
    redis.call('LTRIM', reply, #items, -1)
    redis.call('RPUSH', taken, unpack(items))
  end
end
redis.call('PEXPIRE', taken, ARGV[5])
return redis.call('LRANGE', taken, 0, -1)
