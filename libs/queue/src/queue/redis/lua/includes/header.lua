-- Reads tier (1..4) and maxRetries from a stored body "1|<p>|<maxRetries>|...".
-- A missing or malformed body gives tier 3 (normal) and maxRetries -1 (unknown): the worker
-- that fetches it dead-letters it with the reason.
local function readHeader(body)
  if not body then return 3, -1 end
  local p, mr = string.match(body, '^1|(%d)|(%d+)|')
  if not p then return 3, -1 end
  p = tonumber(p)
  if p > 3 then return 3, -1 end
  return p + 1, tonumber(mr)
end
