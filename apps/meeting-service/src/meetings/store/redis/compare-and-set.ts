/**
 * The compare-and-set script of {@link RedisMeetingRepository}. Kept inline (compiled into the
 * JavaScript) rather than as a `.lua` file: an app's dist build copies the Lua files of the libraries
 * only, and the library's loader (`LuaCommands`) is internal. The script opens with the same header
 * as the library's scripts (`--[[ ... Input: KEYS/ARGV ... Output: ... ]]`, the key types that
 * `declaredKeyTypes` reads); compare-and-set.spec.ts checks the header against the script's body.
 */
export const COMPARE_AND_SET_LUA = `--[[
  Compare-and-set of a versioned record stored as a hash { seq, doc } (one key, so one slot on a cluster).

  Input:
    KEYS[1] record  hash seq, doc

    ARGV[1] the seq the caller read (the stored seq must still be it)
    ARGV[2] the new seq
    ARGV[3] the new document (JSON)

  Output:
    1 stored, 0 changed meanwhile (read again and retry), -1 no such record
]]
local seq = redis.call('HGET', KEYS[1], 'seq')
if not seq then return -1 end
if seq ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'seq', ARGV[2], 'doc', ARGV[3])
return 1
`;

/** KEYS and ARGV of {@link COMPARE_AND_SET_LUA}, in the header's order. */
export function compareAndSetArgs(key: string, readSeq: string, nextSeq: number, doc: string): [number, string, string, string, string] {
  return [1, key, readSeq, String(nextSeq), doc];
}
