import { uniquePrefix, useTestRedis } from '@meeting/queue/testing';
import { MemoryPresenceRepository } from './memory/memory-presence.repository';
import { PresenceEntry, PresenceRepository } from './presence-repository';
import { PresenceSweeper } from './presence-sweeper';
import { RedisPresenceRepository } from './redis/redis-presence.repository';

const redis = useTestRedis();

const backends: Array<[string, () => PresenceRepository]> = [
  ['memory', () => new MemoryPresenceRepository()],
  ['redis', () => new RedisPresenceRepository(redis.client, uniquePrefix('sweep'))],
];

const entry = (participantId: string, instance: string): PresenceEntry => ({
  participantId,
  sessionId: `s-${participantId}`,
  instance,
  connectedAt: new Date().toISOString(),
  muted: false,
});

describe.each(backends)('PresenceSweeper (%s)', (_name, make) => {
  it('expires the entries of instances without a heartbeat in every meeting, a bounded page per step, and keeps live and own ones', async () => {
    const presence = make();
    await presence.heartbeat('alive', 60_000);
    // nobody looks at these meetings: only the sweep finds the crashed instance's entries
    const rooms = Array.from({ length: 250 }, (_, i) => `m${i}`);
    for (const id of rooms) {
      await presence.put(id, entry(`live-${id}`, 'alive'));
      await presence.put(id, entry(`mine-${id}`, 'self')); // this instance: never lost (its heartbeat is its own business)
      if (rooms.indexOf(id) % 5 === 0) await presence.put(id, entry(`gone-${id}`, 'crashed'));
    }
    const expired: string[] = [];
    const expire = async (meetingId: string, e: PresenceEntry) => {
      if (await presence.remove(meetingId, e.participantId, e.sessionId)) expired.push(e.participantId);
    };
    const listed: number[] = [];
    const counting: PresenceRepository = Object.create(presence) as PresenceRepository;
    let lists = 0;
    counting.list = (meetingId) => {
      lists++;
      return presence.list(meetingId);
    };
    const sweeper = new PresenceSweeper(counting, 'self', expire, 40);

    let steps = 0;
    for (let pass = false; !pass && steps < 100; steps++) {
      lists = 0;
      pass = (await sweeper.step()).passComplete;
      listed.push(lists);
    }
    expect(steps).toBeGreaterThan(1);
    expect(Math.max(...listed)).toBeLessThanOrEqual(128); // a page, not all 250 meetings (SSCAN's COUNT is a hint)
    expect(expired.sort()).toEqual(
      rooms
        .filter((_, i) => i % 5 === 0)
        .map((id) => `gone-${id}`)
        .sort(),
    );
    for (const id of rooms) expect((await presence.list(id)).map((e) => e.instance).sort()).toEqual(['alive', 'self']);
    expect((await sweeper.step()).expired).toBe(0); // nothing left to drop
  });
});
