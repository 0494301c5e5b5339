import type { CompletedTask, QueueManager } from '@meeting/queue';
import type { MeetingEventsPublisher } from '../meetings/meeting-events.publisher';
import type { MeetingRecord } from '../meetings/meeting.types';
import { MemoryMeetingRepository } from '../meetings/store/memory/memory-meeting.repository';
import { AnalysisPipeline } from './analysis.pipeline';
import { TaskOwners } from './task-owners';

/**
 * The analysis' callbacks over a memory repository, with the dispatcher's callback registration
 * captured: results of different tasks arrive concurrently (the dispatcher delivers them so), so
 * one may come before the callback that dispatched its task has recorded the task id.
 */
describe('AnalysisPipeline callbacks', () => {
  const meetingId = 'm1';

  async function setUp() {
    const repository = new MemoryMeetingRepository();
    const completed = new Map<string, (task: CompletedTask) => Promise<void>>();
    const queues = {
      config: { message_queue: { type: 'redis' } },
      dispatcher: {
        onCompleted: (type: string, cb: (task: CompletedTask) => Promise<void>) => void completed.set(type, cb),
        onFailed: () => undefined,
      },
    } as unknown as QueueManager;
    const published: string[] = [];
    const events = { publish: async (type: string) => void published.push(type) } as unknown as MeetingEventsPublisher;
    const pipeline = new AnalysisPipeline(queues, repository, events, new TaskOwners(repository));
    pipeline.onModuleInit();
    const meeting: MeetingRecord = {
      meetingId,
      title: 't',
      hostId: 'h',
      state: 'ended',
      seq: 1,
      participants: [],
      recordingTaskId: 'media_tasks:1',
      analysis: { state: 'recording', recordingTaskId: 'media_tasks:1', errors: [], updatedAt: '' },
      createdAt: new Date().toISOString(),
    };
    await repository.create(meeting);
    return { repository, completed, published };
  }

  it('records an emotion result that arrives before the recording callback recorded its task id (the analysis still `recording`)', async () => {
    const { repository, completed, published } = await setUp();
    const task: CompletedTask = {
      taskId: 'ai_tasks:9',
      type: 'emotion_detection',
      result: { meetingId, emotion: 'calm', confidence: 0.9, model: 'm' },
      attempts: 1,
      finishedAt: Date.now(),
    };
    const handled = completed.get('emotion_detection')!(task);
    // the recording callback's write of the task ids, after the result came
    await repository.update(meetingId, (m) => {
      Object.assign(m.analysis!, { state: 'analysing', speechTaskId: 'ai_tasks:8', emotionTaskId: 'ai_tasks:9' });
      return true;
    });
    await handled;
    expect((await repository.find(meetingId))?.analysis).toMatchObject({ state: 'analysing', emotion: { emotion: 'calm', confidence: 0.9 } });
    expect(published).toEqual([]); // the transcript is still out
  });
});
