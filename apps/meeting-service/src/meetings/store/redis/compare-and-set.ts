/**
 * Compare-and-set of a versioned record stored as a hash `{ seq, doc }` (one key, so one slot on a cluster).
 *
 * KEYS[1]  the record's key
 * ARGV[1]  the seq the caller read (the stored `seq` must still be it)
 * ARGV[2]  the new seq
 * ARGV[3]  the new document (JSON)
 * Reply: 1 stored, 0 changed meanwhile (read again and retry), -1 no such record.
 */
export const COMPARE_AND_SET_LUA = `
local seq = redis.call('HGET', KEYS[1], 'seq')
if not seq then return -1 end
if seq ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'seq', ARGV[2], 'doc', ARGV[3])
return 1
`;
