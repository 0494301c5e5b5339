import { RedisServerHandle, spawnRedis } from '@meeting/queue/testing';
import { runDemoScenario } from './demo/demo-scenario';
import { InProcessPlatform, startInProcessPlatform } from './testing/in-process-platform';

describe('npm run demo: the whole meeting against the four services on one Redis (e2e)', () => {
  let server: RedisServerHandle;
  let platform: InProcessPlatform;

  beforeAll(async () => {
    server = await spawnRedis();
    platform = await startInProcessPlatform(server.url);
  });

  afterAll(async () => {
    await platform?.close();
    await server?.cleanup();
  });

  it('creates, joins three over WebSocket, signals, mutes, leaves, transcribes, detects emotion, ends and analyses', async () => {
    const outcome = await runDemoScenario(platform.urls);
    const steps = outcome.timeline.entries;
    expect(steps.every((s) => s.ok)).toBe(true);
    expect(steps.map((s) => s.step)).toEqual([
      'create the meeting',
      'admit Ann, Bob and Cy (join tokens)',
      'Ann connects over WebSocket',
      'Bob connects over WebSocket',
      'Cy connects over WebSocket',
      'the meeting-service sees three connected',
      'ann -> bob: offer, answer, ICE candidates',
      'ann -> cy: offer, answer, ICE candidates',
      'bob -> cy: offer, answer, ICE candidates',
      'Cy mutes',
      'Bob leaves',
      'transcript of a clip of Ann (speech_recognition)',
      'emotion of a frame of Cy (request/reply)',
      'end the meeting',
      'recording, transcription, emotion results',
      'the recording at the media-service',
      'queue stats',
    ]);
    expect(steps.find((s) => s.step === 'Cy connects over WebSocket')?.detail).toBe('welcome; peers: ann, bob');
    expect(steps.find((s) => s.step.startsWith('transcript'))?.detail).toContain('"let us ship the demo"');
    expect(steps.find((s) => s.step === 'end the meeting')?.detail).toContain('4000 meeting_ended, 4000 meeting_ended');

    const { summary, meetingId } = outcome;
    expect(summary.state).toBe('ended');
    expect(summary.participants).toEqual([
      { participantId: 'ann', name: 'Ann', connected: false, muted: false },
      { participantId: 'bob', name: 'Bob', connected: false, muted: false },
      { participantId: 'cy', name: 'Cy', connected: false, muted: true },
    ]);
    expect(summary.transcripts).toMatchObject({ requested: 1, completed: 1, words: 5 });
    expect(summary.analysis).toMatchObject({
      state: 'completed',
      recording: { recordingId: `rec-${meetingId}` },
      transcript: { words: expect.any(Number) },
      emotion: { emotion: expect.any(String) },
    });
    expect(outcome.recording).toMatchObject({ recordingId: `rec-${meetingId}`, format: 'mp4' });
    expect(Object.keys(outcome.queueStats).sort()).toEqual(['ai', 'media', 'meeting', 'signaling']);

    const results = (await (await fetch(`${platform.urls.ai}/meetings/${meetingId}/results`)).json()) as Array<{ type: string }>;
    expect(results.map((r) => r.type).sort()).toEqual(['emotion_detection', 'emotion_detection', 'speech_recognition', 'speech_recognition']);
  });
});
