import { uniquePrefix, useTestRedis } from '@meeting/queue/testing';
import type { Recording } from '../recording.types';
import { MemoryRecordingRepository } from './memory/memory-recording.repository';
import { RecordingRepository } from './recording-repository';
import { RedisRecordingRepository } from './redis/redis-recording.repository';

const redis = useTestRedis();

const backends: Array<[string, () => RecordingRepository]> = [
  ['memory', () => new MemoryRecordingRepository()],
  ['redis', () => new RedisRecordingRepository(redis.client, uniquePrefix('recordings'))],
];

const recording = (recordingId: string, meetingId: string, createdAt: string): Recording => ({
  recordingId,
  meetingId,
  format: 'mp4',
  durationMs: 1000,
  sizeBytes: 2048,
  participants: ['ann'],
  createdAt,
  renditions: {},
});

describe.each(backends)('RecordingRepository (%s)', (_name, make) => {
  it('saves (again: replaces), gets, lists by meeting, adds renditions side by side, removes the old ones', async () => {
    const library = make();
    await library.save(recording('r1', 'm1', '2026-01-01T00:00:00.000Z'));
    await library.save(recording('r2', 'm2', '2026-01-03T00:00:00.000Z'));
    await library.save({ ...recording('r1', 'm1', '2026-01-01T00:00:00.000Z'), durationMs: 1500 });
    expect(await library.get('r1')).toMatchObject({ meetingId: 'm1', durationMs: 1500, renditions: {} });
    expect(await library.get('nope')).toBeUndefined();
    expect((await library.list()).map((r) => r.recordingId)).toEqual(['r1', 'r2']);
    expect((await library.list('m2')).map((r) => r.recordingId)).toEqual(['r2']);
    await Promise.all([
      library.addRendition('r1', 'mp3', { resolution: '480p', sizeBytes: 10 }),
      library.addRendition('r1', 'webm', { resolution: '720p', sizeBytes: 20 }),
    ]);
    expect((await library.get('r1'))?.renditions).toEqual({ mp3: { resolution: '480p', sizeBytes: 10 }, webm: { resolution: '720p', sizeBytes: 20 } });
    expect(await library.addRendition('nope', 'mp3', { resolution: '480p', sizeBytes: 1 })).toBe(false);
    expect(await library.removeOlderThan(Date.parse('2026-01-02T00:00:00.000Z'))).toEqual(['r1']);
    expect(await library.get('r1')).toBeUndefined();
    expect((await library.list()).map((r) => r.recordingId)).toEqual(['r2']);
  });
});
