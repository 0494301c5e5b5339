/**
 * The compare-and-set script of {@link RedisMeetingContextRepository}: writes the new JSON only when
 * the stored one is still what the caller read. Inline (compiled into the JavaScript): an app's dist
 * build copies only the libraries' Lua files. The header follows the library's scripts.
 */
export const REPLACE_IF_UNCHANGED_LUA = `--[[
  Replaces a JSON document kept as a string when it is still the one the caller read.

  Input:
    KEYS[1] context  string JSON document

    ARGV[1] the document the caller read ('' when there was none)
    ARGV[2] the new document
    ARGV[3] time to live in seconds

  Output:
    1 stored, 0 changed meanwhile (read again and retry)
]]
local current = redis.call('GET', KEYS[1]) or ''
if current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1
`;

/** Arguments of EVAL for {@link REPLACE_IF_UNCHANGED_LUA}: numkeys, KEYS, ARGV in the header's order. */
export function replaceIfUnchangedArgs(key: string, read: string, next: string, ttlS: number): [number, string, string, string, number] {
  return [1, key, read, next, ttlS];
}
