import { ServerFrame, SignalingClient } from '@meeting/contracts';
import { Timeline } from './timeline';

/** Where the services answer (http://host:port). */
export interface DemoTargets {
  ai: string;
  meeting: string;
  media: string;
  signaling: string;
}

/** What the demo found at the end (for the e2e test's assertions). */
export interface DemoOutcome {
  meetingId: string;
  timeline: Timeline;
  summary: DemoSummary;
  recording: { recordingId: string; format: string; durationMs: number };
  queueStats: Record<string, unknown>;
}

interface DemoSummary {
  state: string;
  participants: Array<{ participantId: string; connected: boolean; muted: boolean }>;
  transcripts: { requested: number; completed: number; words: number };
  analysis: {
    state: string;
    recording: { recordingId: string };
    transcript: { text: string; words: number };
    emotion: { emotion: string; confidence: number };
  };
}

const PEOPLE = [
  { participantId: 'ann', name: 'Ann' },
  { participantId: 'bob', name: 'Bob' },
  { participantId: 'cy', name: 'Cy' },
] as const;

async function call<T>(method: string, url: string, body?: unknown, expected = [200, 201, 202, 204]): Promise<T> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!expected.includes(res.status)) throw new Error(`${method} ${url} answered ${res.status}: ${text.slice(0, 300)}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/**
 * Polls `check` until it answers something truthy, 50 ms apart at first, then slower (at most one a
 * second), so a platform with its rate limit on (120 per route and minute by default) never answers 429.
 * @throws Error naming `what` after `timeoutMs`
 */
async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let pause = 50; ; pause = Math.min(1000, Math.round(pause * 1.5))) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

/** Handler runs completed in a service, by task type (`mq_messages_processed_total`). */
function processedByType(metrics: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const match of metrics.matchAll(/^mq_messages_processed_total\{([^}]*)\} (\d+)/gm)) {
    const type = /task_type="([^"]+)"/.exec(match[1])?.[1] ?? '?';
    counts[type] = (counts[type] ?? 0) + Number(match[2]);
  }
  return counts;
}

/**
 * A whole meeting against running services: create, three participants join over WebSocket and
 * exchange offers, answers and ICE candidates, one mutes, one leaves, a transcript and an emotion
 * request, end, then the recording, transcription and emotion results and the queues' state.
 * @throws DemoStepError at the first step that fails (every socket is closed first)
 */
export async function runDemoScenario(targets: DemoTargets, print?: (line: string) => void): Promise<DemoOutcome> {
  const timeline = new Timeline(print);
  const clients = new Map<string, SignalingClient>();
  const frame = (who: string, match: (f: ServerFrame) => boolean) => clients.get(who)!.next(match, 10_000);
  let meetingId = '';
  const m = (path = '') => `${targets.meeting}/meetings/${meetingId}${path}`;
  try {
    await timeline.step('create the meeting', async () => {
      const meeting = await call<{ meetingId: string; schedule: { autoEndAt: string } }>('POST', `${targets.meeting}/meetings`, {
        title: 'demo standup',
        hostId: 'ann',
      });
      meetingId = meeting.meetingId;
      return `${meetingId}, automatic end scheduled at ${meeting.schedule.autoEndAt}`;
    });
    const tokens = new Map<string, string>();
    await timeline.step('admit Ann, Bob and Cy (join tokens)', async () => {
      for (const p of PEOPLE) tokens.set(p.participantId, (await call<{ token: string }>('POST', m('/participants'), p)).token);
      return `${tokens.size} tokens signed by the meeting-service`;
    });
    for (const p of PEOPLE) {
      await timeline.step(`${p.name} connects over WebSocket`, async () => {
        const client = await SignalingClient.connect(targets.signaling, tokens.get(p.participantId)!);
        clients.set(p.participantId, client);
        return `welcome; peers: ${client.welcome.peers.map((x) => x.participantId).join(', ') || 'none'}`;
      });
    }
    await timeline.step('the meeting-service sees three connected', async () => {
      await until(
        'three participants connected',
        async () => (await call<{ participants: Array<{ connected: boolean }> }>('GET', m())).participants.filter((p) => p.connected).length === 3,
      );
      return 'participant.joined x3 (from the signaling sessions)';
    });
    for (const [from, to] of [
      ['ann', 'bob'],
      ['ann', 'cy'],
      ['bob', 'cy'],
    ]) {
      await timeline.step(`${from} -> ${to}: offer, answer, ICE candidates`, async () => {
        clients.get(from)!.send({ type: 'offer', to, sdp: `v=0 o=${from} offer for ${to}` });
        await frame(to, (f) => f.type === 'offer' && f.from === from);
        clients.get(to)!.send({ type: 'answer', to: from, sdp: `v=0 o=${to} answer for ${from}` });
        await frame(from, (f) => f.type === 'answer' && f.from === to);
        clients
          .get(from)!
          .send({ type: 'ice', to, candidate: { candidate: `candidate:1 1 udp 2122260223 10.0.0.1 5000 typ host`, sdpMid: '0', sdpMLineIndex: 0 } });
        clients
          .get(to)!
          .send({ type: 'ice', to: from, candidate: { candidate: `candidate:1 1 udp 2122260223 10.0.0.2 5001 typ host`, sdpMid: '0', sdpMLineIndex: 0 } });
        await frame(to, (f) => f.type === 'ice' && f.from === from);
        await frame(from, (f) => f.type === 'ice' && f.from === to);
        return 'offer, answer and a candidate each way delivered';
      });
    }
    await timeline.step('Cy mutes', async () => {
      clients.get('cy')!.send({ type: 'mute' });
      await frame('ann', (f) => f.type === 'peer.muted' && f.participantId === 'cy');
      await frame('bob', (f) => f.type === 'peer.muted' && f.participantId === 'cy');
      return 'Ann and Bob got peer.muted';
    });
    await timeline.step('Bob leaves', async () => {
      await clients.get('bob')!.close();
      clients.delete('bob');
      await frame('ann', (f) => f.type === 'peer.left' && f.participantId === 'bob');
      await frame('cy', (f) => f.type === 'peer.left' && f.participantId === 'bob');
      await until('Bob disconnected at the meeting-service', async () =>
        (await call<{ participants: Array<{ participantId: string; connected: boolean }> }>('GET', m())).participants.some(
          (p) => p.participantId === 'bob' && !p.connected,
        ),
      );
      return 'Ann and Cy got peer.left; participant.left published';
    });
    await timeline.step('transcript of a clip of Ann (speech_recognition)', async () => {
      const { taskId } = await call<{ taskId: string }>('POST', m('/transcripts'), { audio: 'text:let us ship the demo', participantId: 'ann' });
      const done = await until('the transcript', async () =>
        (await call<Array<{ taskId: string; state: string; text?: string }>>('GET', m('/transcripts'))).find(
          (t) => t.taskId === taskId && t.state === 'completed',
        ),
      );
      return `"${done.text}" (${taskId})`;
    });
    await timeline.step('emotion of a frame of Cy (request/reply)', async () => {
      const answer = await call<{ emotion: string; confidence: number }>('POST', m('/emotions'), { sample: 'frame-42', participantId: 'cy' });
      return `${answer.emotion} (${answer.confidence})`;
    });
    await timeline.step('end the meeting', async () => {
      const ended = await call<{ recordingTaskId: string }>('POST', m('/end'));
      for (const who of ['ann', 'cy']) await frame(who, (f) => f.type === 'meeting.ended');
      const closes = await Promise.all(['ann', 'cy'].map((who) => clients.get(who)!.closed));
      return `recording_process ${ended.recordingTaskId} (high priority); sockets closed ${closes.map((c) => `${c.code} ${c.reason}`).join(', ')}`;
    });
    let summary!: DemoSummary;
    await timeline.step('recording, transcription, emotion results', async () => {
      summary = await until('the analysis', async () => {
        const s = await call<DemoSummary>('GET', m('/summary'));
        if (s.analysis?.state === 'failed') throw new Error(`analysis failed: ${JSON.stringify(s.analysis)}`);
        return s.analysis?.state === 'completed' && s;
      });
      const a = summary.analysis;
      return `${a.recording.recordingId}; transcript "${a.transcript.text}" (${a.transcript.words} words); emotion ${a.emotion.emotion} (${a.emotion.confidence})`;
    });
    let recording!: DemoOutcome['recording'];
    await timeline.step('the recording at the media-service', async () => {
      recording = await call('GET', `${targets.media}/recordings/${summary.analysis.recording.recordingId}`);
      return `${recording.recordingId} ${recording.format}, ${recording.durationMs} ms`;
    });
    const queueStats: Record<string, unknown> = {};
    await timeline.step('queue stats', async () => {
      for (const [name, url] of Object.entries(targets)) {
        const health = (await call<{ details?: unknown }>('GET', `${url}/health/queues`, undefined, [200, 503])).details;
        queueStats[name] = { health, processed: processedByType(await (await fetch(`${url}/metrics`)).text()) };
      }
      return `${Object.keys(queueStats).length} services`;
    });
    return { meetingId, timeline, summary, recording, queueStats };
  } finally {
    await Promise.all([...clients.values()].map((c) => c.close()));
  }
}
