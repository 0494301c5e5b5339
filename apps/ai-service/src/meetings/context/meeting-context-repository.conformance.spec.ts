import { readLuaHeader, uniquePrefix, useTestRedis } from '@meeting/queue/testing';
import { MeetingContextRepository } from './meeting-context-repository';
import { MemoryMeetingContextRepository } from './memory/memory-meeting-context.repository';
import { RedisMeetingContextRepository } from './redis/redis-meeting-context.repository';
import { REPLACE_IF_UNCHANGED_LUA, replaceIfUnchangedArgs } from './redis/replace-if-unchanged';

const redis = useTestRedis();

/** Two repositories over one store: what two replicas see (the memory backend is one process's). */
const backends: Array<[string, () => [MeetingContextRepository, MeetingContextRepository]]> = [
  [
    'memory',
    () => {
      const one = new MemoryMeetingContextRepository();
      return [one, one];
    },
  ],
  [
    'redis',
    () => {
      const prefix = uniquePrefix('ai-context');
      return [new RedisMeetingContextRepository(redis.client, prefix), new RedisMeetingContextRepository(redis.newClient(), prefix)];
    },
  ],
];

describe.each(backends)('MeetingContextRepository (%s)', (_name, make) => {
  it('creates a context on first sight, applies newer seqs only, keeps an ended meeting ended, hands out copies', async () => {
    const [a, b] = make();
    expect(await a.get('m1')).toBeUndefined();
    expect(await a.update('m1', 'meeting.created', () => undefined, 1)).toBe(true);
    expect(await b.update('m1', 'participant.joined', (c) => void c.participants.push('ann'), 2, 'ann')).toBe(true);
    expect(await a.update('m1', 'participant.left', (c) => void (c.participants = []), 2, 'ann')).toBe(false); // not newer
    expect(await b.update('m1', 'recording.processed', (c) => void c.recordings.push('rec-1'))).toBe(true); // no seq: always applied
    const context = await a.get('m1');
    expect(context).toMatchObject({ meetingId: 'm1', state: 'active', seq: 2, participants: ['ann'], recordings: ['rec-1'], lastEvent: 'recording.processed' });
    expect(context?.updatedAt).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
    context?.participants.push('mallory');
    expect((await b.get('m1'))?.participants).toEqual(['ann']);

    expect(await a.update('m1', 'meeting.ended', (c) => void (c.state = 'ended'), 3)).toBe(true);
    expect(await b.update('m1', 'participant.joined', (c) => void c.participants.push('late'), 4)).toBe(false);
    expect(await b.get('m1')).toMatchObject({ state: 'ended', seq: 3, participants: ['ann'] });
    expect(await b.get('m2')).toBeUndefined();
  });

  it("orders a participant's joins and leaves per participant: one overtaken by another participant's is still applied", async () => {
    const [a, b] = make();
    const join = (p: string) => (c: { participants: string[] }) => void c.participants.push(p);
    const leave = (p: string) => (c: { participants: string[] }) => void (c.participants = c.participants.filter((x) => x !== p));
    expect(await a.update('m3', 'meeting.created', () => undefined, 1)).toBe(true);
    // bob's join (seq 3) handled before ann's (seq 2): a retry or a concurrent handler
    expect(await b.update('m3', 'participant.joined', join('bob'), 3, 'bob')).toBe(true);
    expect(await a.update('m3', 'participant.joined', join('ann'), 2, 'ann')).toBe(true);
    expect((await a.get('m3'))?.participants.sort()).toEqual(['ann', 'bob']);
    // ann leaves (seq 4); her join redelivered (seq 2) does not bring her back
    expect(await b.update('m3', 'participant.left', leave('ann'), 4, 'ann')).toBe(true);
    expect(await a.update('m3', 'participant.joined', join('ann'), 2, 'ann')).toBe(false);
    expect(await a.get('m3')).toMatchObject({ seq: 4, participants: ['bob'] });
  });

  it('loses no change when replicas update one meeting at once', async () => {
    const [a, b] = make();
    const joins = Array.from({ length: 20 }, (_, i) => `p${i}`);
    const applied = await Promise.all(
      joins.map((p, i) => (i % 2 === 0 ? a : b).update('m3', 'participant.joined', (c) => void (c.participants.includes(p) || c.participants.push(p)))),
    );
    expect(applied.every(Boolean)).toBe(true);
    expect((await a.get('m3'))?.participants.sort()).toEqual([...joins].sort());
  });
});

describe('replace-if-unchanged script', () => {
  it('opens with a header listing KEYS and ARGV (in the order the caller passes them) and uses exactly those', () => {
    const { opensWithHeader, header, declared, used } = readLuaHeader(REPLACE_IF_UNCHANGED_LUA);
    expect(opensWithHeader).toBe(true);
    expect(header).toMatch(/^\s*KEYS\[1\]\s+context\s+string\b/m);
    expect([declared.KEYS, declared.ARGV]).toEqual([[1], [1, 2, 3]]);
    expect([used.KEYS, used.ARGV]).toEqual([declared.KEYS, declared.ARGV]);
    expect(replaceIfUnchangedArgs('k', 'old', 'new', 60)).toEqual([1, 'k', 'old', 'new', 60]);
  });
});
