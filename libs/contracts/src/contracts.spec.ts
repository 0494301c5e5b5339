import {
  CHANNELS,
  ContractError,
  EVENT_SCHEMAS,
  isEventType,
  parseEvent,
  parseTaskPayload,
  parseTaskResult,
  readEvent,
  TASK_QUEUE_OF,
  TASK_QUEUES,
  TASK_SCHEMAS,
} from './index';

const NOW = new Date().toISOString();

/** One valid example of every event, by channel and type (a new type without an example fails the coverage test). */
const EVENTS: Record<string, Record<string, Record<string, unknown>>> = {
  meeting_events: {
    'meeting.created': { meetingId: 'm-1', seq: 1, title: 'standup', hostId: 'alice', createdAt: NOW },
    'participant.joined': { meetingId: 'm-1', seq: 2, participantId: 'p-1', name: 'Bob', joinedAt: NOW },
    'participant.left': { meetingId: 'm-1', seq: 3, participantId: 'p-1' },
    'meeting.ended': { meetingId: 'm-1', seq: 4, endedAt: NOW, durationMs: 1200 },
    'meeting.reminder': { meetingId: 'm-1', seq: 2, startsAt: NOW, title: 'standup' },
    'meeting.analysed': { meetingId: 'm-1', seq: 6, state: 'completed', recordingId: 'rec-m-1' },
    'transcript.recorded': { meetingId: 'm-1', seq: 5, taskId: 'ai_tasks:1-0', participantId: 'p-1', words: 3 },
  },
  media_events: {
    'recording.processed': { meetingId: 'm-1', recordingId: 'rec-m-1', format: 'mp4', durationMs: 1200 },
    'media.transcoded': { meetingId: 'm-1', recordingId: 'rec-m-1', format: 'mp3', resolution: '720p' },
    'media.cleanup_completed': { removed: ['rec-m-1'] },
  },
  signaling_events: {
    'session.opened': { meetingId: 'm-1', participantId: 'p-1', sessionId: 's-1', instance: 'signaling-service:1' },
    'session.closed': { meetingId: 'm-1', participantId: 'p-1', sessionId: 's-1', reason: 'left' },
    'session.muted': { meetingId: 'm-1', participantId: 'p-1', muted: true },
  },
};

const TASKS: Record<string, { payload: unknown; result: unknown }> = {
  speech_recognition: {
    payload: { meetingId: 'm-1', participantId: 'p-1', audio: 'text:hello world', durationMs: 800 },
    result: { meetingId: 'm-1', participantId: 'p-1', text: 'hello world', words: 2, confidence: 0.9, language: 'en', model: 'whisper-sim' },
  },
  emotion_detection: {
    payload: { meetingId: 'm-1', sample: 'frame-1' },
    result: { meetingId: 'm-1', emotion: 'happy', confidence: 0.7, model: 'emotion-net-sim' },
  },
  audio_denoising: {
    payload: { audio: 'a.wav', level: 'high' },
    result: { audio: 'denoised/high/a.wav', noiseReductionDb: 20, snrDb: 30, model: 'rnnoise-sim' },
  },
  video_enhancement: { payload: { video: 'v.mp4' }, result: { video: 'enhanced/1080p/v.mp4', resolution: '1080p', sharpnessGain: 1.4, model: 'esrgan-sim' } },
  recording_process: {
    payload: { meetingId: 'm-1', durationMs: 1200, participants: ['p-1'] },
    result: {
      recordingId: 'rec-m-1',
      meetingId: 'm-1',
      format: 'mp4',
      durationMs: 1200,
      sizeBytes: 2000,
      participants: ['p-1'],
      createdAt: NOW,
      renditions: { mp3: { resolution: '720p', sizeBytes: 200 } },
    },
  },
  transcode: { payload: { recordingId: 'rec-m-1', format: 'webm' }, result: { recordingId: 'rec-m-1', format: 'webm', resolution: '720p', sizeBytes: 1200 } },
  media_cleanup: { payload: undefined, result: { removed: [] } },
};

function contractError(fn: () => unknown): ContractError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ContractError) return error;
    throw error;
  }
  throw new Error('expected a ContractError');
}

describe('@meeting/contracts', () => {
  it('every channel and event type has an example here, and every example passes its contract', () => {
    expect(Object.keys(EVENT_SCHEMAS).sort()).toEqual(Object.values(CHANNELS).sort());
    for (const [channel, types] of Object.entries(EVENT_SCHEMAS)) {
      expect([channel, Object.keys(types).sort()]).toEqual([channel, Object.keys(EVENTS[channel]).sort()]);
      for (const [type, data] of Object.entries(EVENTS[channel])) {
        expect(parseEvent(channel as 'meeting_events', type as 'meeting.created', data)).toEqual(data);
      }
    }
  });

  it('a bad event names the channel, the type and each bad field; unknown keys are dropped', () => {
    const error = contractError(() =>
      parseEvent(CHANNELS.meeting, 'participant.joined', { meetingId: 'm 1', seq: 0, name: 'x', joinedAt: 'yesterday', extra: 1 }),
    );
    expect(error.subject).toBe('meeting_events participant.joined');
    expect(error.issues.map((i) => i.split(':')[0]).sort()).toEqual(['data.joinedAt', 'data.meetingId', 'data.participantId', 'data.seq']);
    expect(error.message).toMatch(/^meeting_events participant\.joined: /);
    expect(parseEvent(CHANNELS.meeting, 'participant.left', { meetingId: 'm-1', seq: 3, participantId: 'p', extra: 1 })).toEqual({
      meetingId: 'm-1',
      seq: 3,
      participantId: 'p',
    });
    expect(contractError(() => parseEvent(CHANNELS.meeting, 'meeting.created', null)).issues).toEqual([expect.stringMatching(/^data: /)]);
  });

  it('readEvent: a known type is parsed into the union, an unknown one is skipped (undefined), a bad one throws', () => {
    const event = readEvent(CHANNELS.meeting, { type: 'participant.left', data: EVENTS.meeting_events['participant.left'] });
    expect(event?.type).toBe('participant.left');
    if (event?.type === 'participant.left') expect(event.data.participantId).toBe('p-1');
    expect(readEvent(CHANNELS.meeting, { type: 'meeting.renamed', data: {} })).toBeUndefined();
    expect(() => readEvent(CHANNELS.media, { type: 'recording.processed', data: { meetingId: 'm-1' } })).toThrow(ContractError);
    expect(isEventType(CHANNELS.signaling, 'session.opened')).toBe(true);
    expect(isEventType(CHANNELS.signaling, 'meeting.created')).toBe(false);
    expect(() => parseEvent(CHANNELS.meeting, 'nope' as 'meeting.created', {})).toThrow('meeting_events nope: not an event type of meeting_events');
  });

  it('every task type has an example, its payload and result pass, and it is consumed from ai_tasks or media_tasks', () => {
    expect(Object.keys(TASK_SCHEMAS).sort()).toEqual(Object.keys(TASKS).sort());
    for (const [type, { payload, result }] of Object.entries(TASKS)) {
      const t = type as keyof typeof TASK_SCHEMAS;
      expect(parseTaskPayload(t, payload)).toEqual(payload);
      expect(parseTaskResult(t, result)).toEqual(result);
      expect(Object.values(TASK_QUEUES)).toContain(TASK_QUEUE_OF[t]);
    }
    expect(TASK_QUEUE_OF.speech_recognition).toBe('ai_tasks');
    expect(TASK_QUEUE_OF.recording_process).toBe('media_tasks');
  });

  it('a bad payload or result names the task type and each bad field', () => {
    const error = contractError(() => parseTaskPayload('speech_recognition', { meetingId: 'm-1', audio: '', durationMs: -5 }));
    expect(error.subject).toBe('speech_recognition');
    expect(error.issues.map((i) => i.split(':')[0]).sort()).toEqual(['payload.audio', 'payload.durationMs']);
    expect(contractError(() => parseTaskPayload('transcode', { recordingId: 'r', format: 'avi' })).issues).toEqual([
      expect.stringMatching(/^payload\.format: /),
    ]);
    expect(contractError(() => parseTaskPayload('emotion_detection', 'frame')).issues).toEqual([expect.stringMatching(/^payload: /)]);
    expect(contractError(() => parseTaskResult('emotion_detection', { meetingId: 'm-1', emotion: 'x', confidence: 2, model: 'm' })).issues).toEqual([
      expect.stringMatching(/^result\.confidence: /),
    ]);
    expect(() => parseTaskPayload('nope' as 'transcode', {})).toThrow('task nope: not a task type of the platform');
  });
});
