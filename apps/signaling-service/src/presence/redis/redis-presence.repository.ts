import type { RedisClient } from '@meeting/queue';
import { ENDED_TTL_MS, PresenceEntry, PresenceRepository } from '../presence-repository';

/** Changes a presence entry only for the session that owns it. Inline (compiled into the JavaScript): an app's dist build copies only the libraries' Lua files. */
export const CHANGE_IF_SESSION_LUA = `--[[
  Changes the entry of ARGV[1] only when it belongs to session ARGV[2].

  Input:
    KEYS[1] presence  hash participant id -> entry JSON

    ARGV[1] participant id
    ARGV[2] session id
    ARGV[3] 'remove', or 'mute:1' / 'mute:0'

  Output:
    1 changed, 0 not that session's entry
]]
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local entry = cjson.decode(raw)
if entry.sessionId ~= ARGV[2] then return 0 end
if ARGV[3] == 'remove' then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  entry.muted = (ARGV[3] == 'mute:1')
  redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(entry))
end
return 1
`;

/** EVAL arguments of {@link CHANGE_IF_SESSION_LUA}: numkeys, KEYS, ARGV in the header's order. */
export function changeIfSessionArgs(
  key: string,
  participantId: string,
  sessionId: string,
  change: 'remove' | 'mute:1' | 'mute:0',
): [number, string, string, string, string] {
  return [1, key, participantId, sessionId, change];
}

/** Keeps the largest removal seq of a participant. Inline, like {@link CHANGE_IF_SESSION_LUA}. */
export const MARK_REMOVED_LUA = `--[[
  Records the removal of participant ARGV[1] at seq ARGV[2], unless a later one is recorded.

  Input:
    KEYS[1] removals  hash participant id -> seq of the latest removal

    ARGV[1] participant id
    ARGV[2] seq of the removal
    ARGV[3] time to keep the hash, ms

  Output:
    1 recorded, 0 a later removal was already recorded
]]
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '-1')
local recorded = 0
if tonumber(ARGV[2]) > current then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  recorded = 1
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return recorded
`;

/** EVAL arguments of {@link MARK_REMOVED_LUA}: numkeys, KEYS, ARGV in the header's order. */
export function markRemovedArgs(key: string, participantId: string, seq: number, ttlMs: number): [number, string, string, string, string] {
  return [1, key, participantId, String(seq), String(ttlMs)];
}

/**
 * Presence in Redis: hash `<prefix>:presence:{<meetingId>}` (participant id -> entry JSON), the set
 * `<prefix>:presence:rooms` of meetings seen, `<prefix>:presence:{<meetingId>}:ended` once it ended,
 * `<prefix>:presence:{<meetingId>}:removed` (participant id -> seq of its latest removal),
 * `<prefix>:signaling-instance:<instance>` while the instance is alive (renewed, with a TTL).
 */
export class RedisPresenceRepository implements PresenceRepository {
  constructor(
    private readonly client: RedisClient,
    private readonly prefix: string,
  ) {}

  private key(meetingId: string): string {
    return `${this.prefix}:presence:{${meetingId}}`;
  }

  async put(meetingId: string, entry: PresenceEntry): Promise<PresenceEntry | undefined> {
    const previous = await this.get(meetingId, entry.participantId);
    await this.client.hset(this.key(meetingId), entry.participantId, JSON.stringify(entry));
    await this.client.sadd(`${this.prefix}:presence:rooms`, meetingId);
    return previous;
  }

  async get(meetingId: string, participantId: string): Promise<PresenceEntry | undefined> {
    const raw = await this.client.hget(this.key(meetingId), participantId);
    return raw === null ? undefined : (JSON.parse(raw) as PresenceEntry);
  }

  async remove(meetingId: string, participantId: string, sessionId: string): Promise<boolean> {
    return (await this.client.eval(CHANGE_IF_SESSION_LUA, ...changeIfSessionArgs(this.key(meetingId), participantId, sessionId, 'remove'))) === 1;
  }

  async setMuted(meetingId: string, participantId: string, sessionId: string, muted: boolean): Promise<boolean> {
    return (
      (await this.client.eval(CHANGE_IF_SESSION_LUA, ...changeIfSessionArgs(this.key(meetingId), participantId, sessionId, muted ? 'mute:1' : 'mute:0'))) === 1
    );
  }

  async list(meetingId: string): Promise<PresenceEntry[]> {
    const entries = Object.values(await this.client.hgetall(this.key(meetingId))).map((raw) => JSON.parse(raw) as PresenceEntry);
    return entries.sort((a, b) => a.connectedAt.localeCompare(b.connectedAt));
  }

  async rooms(): Promise<Array<{ meetingId: string; participants: number; ended: boolean }>> {
    const ids = await this.client.smembers(`${this.prefix}:presence:rooms`);
    return Promise.all(
      ids.sort().map(async (meetingId) => ({
        meetingId,
        participants: await this.client.hlen(this.key(meetingId)),
        ended: await this.isEnded(meetingId),
      })),
    );
  }

  async roomPage(cursor: string, count: number): Promise<{ cursor: string; meetingIds: string[] }> {
    const [next, meetingIds] = await this.client.sscan(`${this.prefix}:presence:rooms`, cursor, 'COUNT', count);
    return { cursor: next, meetingIds };
  }

  async markEnded(meetingId: string): Promise<void> {
    await this.client.set(`${this.key(meetingId)}:ended`, '1', 'PX', ENDED_TTL_MS);
    await this.client.del(this.key(meetingId));
    await this.client.sadd(`${this.prefix}:presence:rooms`, meetingId);
  }

  async isEnded(meetingId: string): Promise<boolean> {
    return (await this.client.exists(`${this.key(meetingId)}:ended`)) === 1;
  }

  async markRemoved(meetingId: string, participantId: string, seq: number): Promise<void> {
    await this.client.eval(MARK_REMOVED_LUA, ...markRemovedArgs(`${this.key(meetingId)}:removed`, participantId, seq, ENDED_TTL_MS));
  }

  async removedSeq(meetingId: string, participantId: string): Promise<number | undefined> {
    const raw = await this.client.hget(`${this.key(meetingId)}:removed`, participantId);
    return raw === null ? undefined : Number(raw);
  }

  async heartbeat(instance: string, ttlMs: number): Promise<void> {
    await this.client.set(`${this.prefix}:signaling-instance:${instance}`, '1', 'PX', ttlMs);
  }

  async retire(instance: string): Promise<void> {
    await this.client.del(`${this.prefix}:signaling-instance:${instance}`);
  }

  async alive(instances: string[]): Promise<Set<string>> {
    const unique = [...new Set(instances)];
    const found = await Promise.all(unique.map((i) => this.client.exists(`${this.prefix}:signaling-instance:${i}`)));
    return new Set(unique.filter((_, n) => found[n] === 1));
  }
}
