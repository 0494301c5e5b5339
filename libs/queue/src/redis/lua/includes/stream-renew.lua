-- Keeps stream entries a consumer is still working on from being taken over by a peer's
-- XAUTOCLAIM: resets their idle time (XCLAIM ... JUSTID, which counts no delivery), but only for
-- entries still pending for that consumer (one a peer already took over is left alone). Used by
-- the stream bus (entries being handled) and the dispatcher (results being delivered).
-- The ids are args[from], args[from + 1], ... (a script's ARGV: no unpack, which has a limit of
-- about 8000 values). Returns the ids still owned and renewed.
local function renewPending(stream, group, consumer, args, from)
  local renewed = {}
  for i = from, #args do
    local id = args[i]
    local info = redis.call('XPENDING', stream, group, id, id, 1)
    if info[1] and info[1][2] == consumer then
      redis.call('XCLAIM', stream, group, consumer, 0, id, 'JUSTID')
      renewed[#renewed + 1] = id
    end
  end
  return renewed
end
