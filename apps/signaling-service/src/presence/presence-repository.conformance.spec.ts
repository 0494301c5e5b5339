import { uniquePrefix, useTestRedis, waitFor } from '@meeting/queue/testing';
import { MemoryPresenceRepository } from './memory/memory-presence.repository';
import { PresenceEntry, PresenceRepository } from './presence-repository';
import { RedisPresenceRepository } from './redis/redis-presence.repository';

const redis = useTestRedis();

const backends: Array<[string, () => PresenceRepository]> = [
  ['memory', () => new MemoryPresenceRepository()],
  ['redis', () => new RedisPresenceRepository(redis.client, uniquePrefix('presence'))],
];

const entry = (participantId: string, sessionId: string, connectedAt = new Date().toISOString()): PresenceEntry => ({
  participantId,
  sessionId,
  instance: 'i1',
  connectedAt,
  muted: false,
});

describe.each(backends)('PresenceRepository (%s)', (_name, make) => {
  it('puts, replaces, lists by connection time, and counts rooms', async () => {
    const presence = make();
    expect(await presence.put('m1', entry('bob', 's2', '2026-01-02T00:00:00.000Z'))).toBeUndefined();
    await presence.put('m1', entry('ann', 's1', '2026-01-01T00:00:00.000Z'));
    expect((await presence.put('m1', entry('bob', 's3', '2026-01-03T00:00:00.000Z')))?.sessionId).toBe('s2');
    expect((await presence.list('m1')).map((e) => `${e.participantId}:${e.sessionId}`)).toEqual(['ann:s1', 'bob:s3']);
    expect(await presence.get('m1', 'bob')).toMatchObject({ sessionId: 's3' });
    expect(await presence.list('m2')).toEqual([]);
    expect(await presence.rooms()).toEqual([{ meetingId: 'm1', participants: 2, ended: false }]);
  });

  it('removes and mutes only for the session that owns the entry', async () => {
    const presence = make();
    await presence.put('m1', entry('bob', 's1'));
    await presence.put('m1', entry('bob', 's2')); // reconnected
    expect(await presence.setMuted('m1', 'bob', 's1', true)).toBe(false);
    expect(await presence.remove('m1', 'bob', 's1')).toBe(false);
    expect(await presence.setMuted('m1', 'bob', 's2', true)).toBe(true);
    expect(await presence.get('m1', 'bob')).toMatchObject({ sessionId: 's2', muted: true });
    expect(await presence.remove('m1', 'bob', 's2')).toBe(true);
    expect(await presence.get('m1', 'bob')).toBeUndefined();
    expect(await presence.remove('m1', 'ghost', 's9')).toBe(false);
  });

  it("remembers a participant's latest removal by seq (an older one arriving late does not lower it)", async () => {
    const presence = make();
    expect(await presence.removedSeq('m1', 'bob')).toBeUndefined();
    await presence.markRemoved('m1', 'bob', 5);
    await presence.markRemoved('m1', 'bob', 3);
    expect(await presence.removedSeq('m1', 'bob')).toBe(5);
    await presence.markRemoved('m1', 'bob', 9);
    expect(await presence.removedSeq('m1', 'bob')).toBe(9);
    expect(await presence.removedSeq('m1', 'ann')).toBeUndefined();
    expect(await presence.removedSeq('m2', 'bob')).toBeUndefined();
  });

  it('marks a meeting ended: presence dropped, the end remembered', async () => {
    const presence = make();
    await presence.put('m1', entry('ann', 's1'));
    expect(await presence.isEnded('m1')).toBe(false);
    await presence.markEnded('m1');
    expect(await presence.isEnded('m1')).toBe(true);
    expect(await presence.list('m1')).toEqual([]);
    expect(await presence.rooms()).toEqual([{ meetingId: 'm1', participants: 0, ended: true }]);
  });
});

describe.each(backends)('PresenceRepository room pages (%s)', (_name, make) => {
  it('goes through every meeting with presence a page at a time, the cursor back at 0 after a pass', async () => {
    const presence = make();
    const ids = Array.from({ length: 300 }, (_, i) => `room-${i}`);
    for (const id of ids) await presence.put(id, entry('ann', `s-${id}`));
    const seen = new Set<string>();
    let cursor = '0';
    let pages = 0;
    do {
      const page = await presence.roomPage(cursor, 50);
      page.meetingIds.forEach((id) => seen.add(id));
      cursor = page.cursor;
      pages++;
    } while (cursor !== '0' && pages < 1000);
    expect(cursor).toBe('0');
    expect([...seen].sort()).toEqual([...ids].sort());
    expect(pages).toBeGreaterThan(1); // paged, not the whole set at once
  });
});

describe.each(backends)('PresenceRepository instances (%s)', (_name, make) => {
  it('knows the instances whose heartbeat has not expired', async () => {
    const presence = make();
    await presence.heartbeat('a', 60_000);
    await presence.heartbeat('b', 60_000);
    await presence.heartbeat('c', 1);
    await presence.retire('b');
    await waitFor(async () => !(await presence.alive(['c'])).has('c'), "c's heartbeat expired");
    expect([...(await presence.alive(['a', 'b', 'c', 'd', 'a']))]).toEqual(['a']);
  });
});
