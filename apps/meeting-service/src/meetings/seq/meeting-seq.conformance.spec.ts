import { createRedisClient, RedisClient } from '@meeting/queue';
import { RedisServerHandle, spawnRedis, uniquePrefix } from '@meeting/queue/testing';
import { MeetingSeq } from './meeting-seq';
import { MemoryMeetingSeq } from './memory/memory-meeting-seq';
import { RedisMeetingSeq } from './redis/redis-meeting-seq';

/** What every MeetingSeq does, on both backends; Redis also across replicas (two instances, one Redis). */
describe.each(['memory', 'redis'] as const)('MeetingSeq conformance: %s', (backend) => {
  let server: RedisServerHandle | undefined;
  const clients: RedisClient[] = [];
  let prefix = '';

  beforeAll(async () => {
    if (backend === 'redis') server = await spawnRedis();
  });

  afterAll(async () => {
    clients.forEach((c) => c.disconnect());
    await server?.cleanup();
  });

  beforeEach(() => {
    prefix = uniquePrefix('seq');
  });

  function make(): MeetingSeq {
    if (backend === 'memory') return new MemoryMeetingSeq();
    const client = createRedisClient({ url: server!.url });
    clients.push(client);
    return new RedisMeetingSeq(client, prefix);
  }

  it('starts at 1 and counts up per meeting, meetings independent', async () => {
    const seq = make();
    expect([await seq.next('m-1'), await seq.next('m-1'), await seq.next('m-2'), await seq.next('m-1')]).toEqual([1, 2, 1, 3]);
  });

  it('concurrent calls get distinct, gap-free numbers', async () => {
    const seq = make();
    const values = await Promise.all(Array.from({ length: 50 }, () => seq.next('busy')));
    expect(values.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  if (backend === 'redis') {
    it('two replicas on one Redis share the counter', async () => {
      const [a, b] = [make(), make()];
      const values = await Promise.all([a.next('m'), b.next('m'), a.next('m'), b.next('m')]);
      expect(values.sort((x, y) => x - y)).toEqual([1, 2, 3, 4]);
    });
  }
});
