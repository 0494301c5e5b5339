import { uniquePrefix, useTestRedis } from '@meeting/queue/testing';
import type { MeetingRecord } from '../meeting.types';
import { MeetingRepository, TranscriptRepository } from './meeting-store';
import { MemoryMeetingRepository } from './memory/memory-meeting.repository';
import { MemoryTranscriptRepository } from './memory/memory-transcript.repository';
import { RedisMeetingRepository } from './redis/redis-meeting.repository';
import { RedisTranscriptRepository } from './redis/redis-transcript.repository';

const redis = useTestRedis();

const backends: Array<[string, () => { meetings: MeetingRepository; transcripts: TranscriptRepository }]> = [
  ['memory', () => ({ meetings: new MemoryMeetingRepository(), transcripts: new MemoryTranscriptRepository() })],
  [
    'redis',
    () => {
      const prefix = uniquePrefix('meetings');
      return { meetings: new RedisMeetingRepository(redis.client, prefix), transcripts: new RedisTranscriptRepository(redis.client, prefix) };
    },
  ],
];

const meeting = (meetingId: string, createdAt = new Date().toISOString()): MeetingRecord => ({
  meetingId,
  title: 't',
  hostId: 'h',
  state: 'active',
  seq: 1,
  participants: [],
  createdAt,
});

describe.each(backends)('meeting repositories (%s)', (_name, make) => {
  it('creates once, finds, lists newest first, returns copies', async () => {
    const { meetings } = make();
    await meetings.create(meeting('m1', '2026-01-01T00:00:00.000Z'));
    await meetings.create(meeting('m2', '2026-01-02T00:00:00.000Z'));
    await expect(meetings.create(meeting('m1'))).rejects.toThrow('meeting "m1" exists');
    const found = await meetings.find('m1');
    expect(found).toMatchObject({ meetingId: 'm1', seq: 1 });
    found!.title = 'changed outside';
    expect((await meetings.find('m1'))?.title).toBe('t');
    expect(await meetings.find('nope')).toBeUndefined();
    expect((await meetings.list()).map((m) => m.meetingId)).toEqual(['m2', 'm1']);
    expect((await meetings.list(1)).map((m) => m.meetingId)).toEqual(['m2']);
  });

  it('updates by compare-and-set: concurrent changes all land, false leaves it, unknown is undefined', async () => {
    const { meetings } = make();
    await meetings.create(meeting('m1'));
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        meetings.update('m1', (m) => {
          m.participants.push({ participantId: `p${i}`, name: `P${i}`, joinedAt: '', connected: false });
          m.seq++;
          return true;
        }),
      ),
    );
    const after = await meetings.find('m1');
    expect(after?.seq).toBe(21);
    expect(after?.participants.map((p) => p.participantId).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `p${i}`).sort());
    expect(await meetings.update('m1', () => false)).toMatchObject({ changed: false, meeting: { seq: 21 } });
    expect(await meetings.update('nope', () => true)).toBeUndefined();
    await expect(
      meetings.update('m1', () => {
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
  });

  it('links tasks to meetings and keeps transcripts by task id, oldest first', async () => {
    const { meetings, transcripts } = make();
    await meetings.linkTask('ai_tasks:1', 'm1');
    expect(await meetings.meetingOfTask('ai_tasks:1')).toBe('m1');
    expect(await meetings.meetingOfTask('ai_tasks:2')).toBeUndefined();
    await transcripts.save('m1', { taskId: 't2', state: 'pending', requestedAt: '2026-01-02T00:00:00.000Z' });
    await transcripts.save('m1', { taskId: 't1', state: 'pending', requestedAt: '2026-01-01T00:00:00.000Z' });
    await transcripts.save('m1', { taskId: 't1', state: 'completed', words: 3, requestedAt: '2026-01-01T00:00:00.000Z' });
    expect((await transcripts.list('m1')).map((t) => `${t.taskId}:${t.state}`)).toEqual(['t1:completed', 't2:pending']);
    expect(await transcripts.find('m1', 't1')).toMatchObject({ words: 3 });
    expect(await transcripts.find('m2', 't1')).toBeUndefined();
    expect(await transcripts.list('m2')).toEqual([]);
  });
});
