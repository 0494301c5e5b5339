import { uniquePrefix, useTestRedis } from '@meeting/queue/testing';
import { MemoryResultRepository } from './memory/memory-result.repository';
import { ResultRepository } from './result-repository';
import { RedisResultRepository } from './redis/redis-result.repository';

const redis = useTestRedis();

const backends: Array<[string, () => ResultRepository]> = [
  ['memory', () => new MemoryResultRepository()],
  ['redis', () => new RedisResultRepository(redis.client, uniquePrefix('results'))],
];

describe.each(backends)('ResultRepository (%s)', (_name, make) => {
  it('keeps one result per task id, by meeting, oldest first', async () => {
    const results = make();
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
    await results.record('m1', { taskId: 't2', type: 'emotion_detection', origin: 'meeting-service', result: { emotion: 'happy' }, finishedAt: at(2) });
    await results.record('m1', { taskId: 't1', type: 'speech_recognition', origin: 'meeting-service', result: { words: 1 }, finishedAt: at(1) });
    await results.record('m1', { taskId: 't1', type: 'speech_recognition', origin: 'meeting-service', result: { words: 2 }, finishedAt: at(1) });
    const list = await results.list('m1');
    expect(list.map((r) => r.taskId)).toEqual(['t1', 't2']);
    expect(list[0].result).toEqual({ words: 2 });
    expect(await results.list('m2')).toEqual([]);
  });
});
