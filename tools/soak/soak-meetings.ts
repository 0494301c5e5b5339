/**
 * One meeting of the soak, through the apps' real interfaces: created at the meeting-service (REST),
 * two participants admitted (join tokens) and connected to the signaling-service (WebSocket), an
 * offer, an answer and ICE candidates relayed between them, a mute, transcripts (speech_recognition
 * dispatched to the ai-service), an emotion request (request/reply through the ai-service), then the
 * end: requested (POST /end) or, for every eighth meeting, by the meeting-service's scheduler
 * (`meeting_auto_end` at its `maxDurationMs`). What the driver was told (201/202/200 answers, task
 * ids, frames) is recorded in a MeetingRecord; what became of it is checked by `settle()`.
 */
import type { ServerFrame } from '@meeting/contracts';
import { SignalingClient } from '@meeting/contracts';
import type { AppName } from './soak-apps';
import { SoakHttp } from './soak-http';

export type Urls = Record<AppName, string>;

/** Everything the driver was promised about one meeting, and what it has confirmed so far. */
export interface MeetingRecord {
  meetingId: string;
  autoEnd: boolean;
  /** Transcript task ids the meeting-service acknowledged (202). */
  transcripts: string[];
  /** Relayed frames: sent, and how often the peer received each (by its unique sdp or candidate text). */
  frames: Map<string, number>;
  /** Emotion requests answered 200 (request/reply). */
  emotions: number;
  /** Steps that did not happen as the apps answered they would (a lost frame, a socket not closed, ...). */
  faults: string[];
  ended: boolean;
  /** Filled by settle(): the post-meeting tasks the meeting-service dispatched. */
  recordingTaskId?: string;
  analysisTaskIds: string[];
  /** The transcode the driver requested at the media-service once the recording existed (202). */
  transcodeTaskId?: string;
  /** What is still not confirmed (empty: settled). */
  outstanding: string[];
  /** Checks already confirmed (a status or result may expire later under the soak's short retention). */
  confirmed: Set<string>;
}

const PEOPLE = ['ann', 'bob'] as const;

/** A step of a meeting that did not happen (recorded in the meeting's faults): the meeting stops there. */
class StepFault extends Error {
  override readonly name = 'StepFault';
}
/**
 * The automatic end of every eighth meeting. Its steps must be done before it: they take under a
 * second on an idle machine, but 4 s was once too short under load (a 2 s stall, then a transcript
 * request answered 409: the scheduler had ended the meeting first, as it should).
 */
const AUTO_END_MS = 12_000;

export async function runMeeting(http: SoakHttp, urls: Urls, n: number, transcripts: number): Promise<MeetingRecord> {
  const autoEnd = n % 8 === 0;
  const created = await http.call<{ meetingId: string }>('POST', `${urls['meeting-service']}/meetings`, {
    title: `soak ${n}`,
    hostId: 'ann',
    ...(autoEnd ? { maxDurationMs: AUTO_END_MS } : {}),
  });
  const record: MeetingRecord = {
    meetingId: created.meetingId,
    autoEnd,
    transcripts: [],
    frames: new Map(),
    emotions: 0,
    faults: [],
    ended: false,
    analysisTaskIds: [],
    outstanding: ['not settled yet'],
    confirmed: new Set(),
  };
  const m = (path = '') => `${urls['meeting-service']}/meetings/${record.meetingId}${path}`;
  const clients = new Map<string, SignalingClient>();
  const received = async (who: string, what: string, match: (f: ServerFrame) => boolean, timeoutMs = 15_000) => {
    try {
      await clients.get(who)!.next(match, timeoutMs);
    } catch (error) {
      record.faults.push(`${what} not received by ${who} within ${timeoutMs} ms (${(error as Error).message})`);
      throw new StepFault(what);
    }
  };
  try {
    for (const p of PEOPLE) {
      const { token } = await http.call<{ token: string }>('POST', m('/participants'), { name: p, participantId: p });
      clients.set(p, await SignalingClient.connect(urls['signaling-service'], token, { timeoutMs: 15_000 }));
    }
    const ref = (kind: string, from: string) => `soak ${kind} ${record.meetingId} ${from}`;
    const relay = async (from: string, to: string, kind: 'offer' | 'answer') => {
      const sdp = ref(kind, from);
      record.frames.set(sdp, 0);
      clients.get(from)!.send({ type: kind, to, sdp });
      await received(to, `${kind} from ${from}`, (f) => f.type === kind && f.from === from && f.sdp === sdp);
      const candidate = ref('ice', from);
      record.frames.set(candidate, 0);
      clients.get(from)!.send({ type: 'ice', to, candidate: { candidate, sdpMid: '0', sdpMLineIndex: 0 } });
      await received(to, `ice from ${from}`, (f) => f.type === 'ice' && f.from === from && f.candidate.candidate === candidate);
    };
    await relay('ann', 'bob', 'offer');
    await relay('bob', 'ann', 'answer');
    clients.get('bob')!.send({ type: 'mute' });
    await received('ann', 'peer.muted of bob', (f) => f.type === 'peer.muted' && f.participantId === 'bob');
    // participant.joined (signaling_events) reached the meeting-service, meeting_events reached the ai-service
    await waitUntil(record, 'both connected at the meeting-service', async () => {
      const view = await http.call<MeetingView>('GET', m());
      return PEOPLE.every((p) => view.participants.some((x) => x.participantId === p && x.connected));
    });
    await waitUntil(record, 'both participants in the ai-service context', async () => {
      const context = await http.call<{ participants?: string[] }>('GET', `${urls['ai-service']}/meetings/${record.meetingId}/context`, undefined, [200, 404]);
      return PEOPLE.every((p) => context?.participants?.includes(p));
    });

    for (let i = 0; i < transcripts; i++) {
      const t = await http.call<{ taskId: string }>('POST', m('/transcripts'), { audio: `text:soak ${n} clip ${i} ship it`, participantId: PEOPLE[i % 2] });
      record.transcripts.push(t.taskId);
    }
    await http.call('POST', m('/emotions'), { sample: `frame-${n}`, participantId: 'ann' });
    record.emotions++;

    if (!autoEnd) await http.call('POST', m('/end'));
    // requested or scheduled, every participant hears the end and its socket closes with 4000 meeting_ended
    for (const p of PEOPLE) await received(p, 'meeting.ended', (f) => f.type === 'meeting.ended', AUTO_END_MS + 30_000);
    for (const p of PEOPLE) {
      let timer: NodeJS.Timeout | undefined;
      const closed = await Promise.race([clients.get(p)!.closed, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), 15_000)))]);
      clearTimeout(timer);
      if (!closed || closed.code !== 4000 || closed.reason !== 'meeting_ended')
        record.faults.push(`${p}'s socket ${closed ? `closed ${closed.code} ${closed.reason}` : 'not closed within 15 s'}, expected 4000 meeting_ended`);
    }
    record.ended = true;
  } catch (error) {
    // the first step that did not happen ends the meeting's run (its fault is recorded); other errors are the driver's
    if (!(error instanceof StepFault)) throw error;
  } finally {
    for (const c of clients.values()) {
      for (const f of c.frames) {
        const key = f.type === 'offer' || f.type === 'answer' ? f.sdp : f.type === 'ice' ? f.candidate.candidate : undefined;
        if (key !== undefined && record.frames.has(key)) record.frames.set(key, record.frames.get(key)! + 1);
      }
      await c.close();
    }
  }
  return record;
}

/** Polls `check` (100 ms, then slower, at most 1 s apart) until true; after `timeoutMs` records a fault naming `what`. */
async function waitUntil(record: MeetingRecord, what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let pause = 100; ; pause = Math.min(1000, pause * 2)) {
    if (await check()) return;
    if (Date.now() > deadline) {
      record.faults.push(`${what}: not within ${timeoutMs} ms`);
      throw new StepFault(what);
    }
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

interface MeetingView {
  state: string;
  participants: Array<{ participantId: string; connected: boolean }>;
  transcripts: Array<{ taskId: string; state: string }>;
  analysis?: { state: string; recordingTaskId?: string; speechTaskId?: string; emotionTaskId?: string };
  recordingTaskId?: string;
}

/**
 * Looks again at what is not confirmed about a meeting and updates `outstanding`: the meeting ended
 * with its analysis completed, each acknowledged transcript completed once, the recording at the
 * media-service and a transcode of it completed, the ai-service's context ended with exactly that
 * recording and each result once, the signaling-service's presence ended and empty. A check once
 * confirmed stays confirmed (statuses expire under the soak's short retention).
 */
export async function settle(http: SoakHttp, urls: Urls, r: MeetingRecord, runs: (taskId: string) => number): Promise<void> {
  if (r.faults.length > 0) return void (r.outstanding = []); // its run stopped at a fault, which the verdict reports
  const out: string[] = [];
  const check = async (key: string, problem: () => Promise<string | undefined>) => {
    if (r.confirmed.has(key)) return;
    const found = await problem();
    if (found === undefined) r.confirmed.add(key);
    else out.push(found);
  };
  const recordingId = `rec-${r.meetingId}`;
  await check('meeting', async () => {
    const meeting = await http.call<MeetingView>('GET', `${urls['meeting-service']}/meetings/${r.meetingId}`);
    const a = meeting.analysis;
    r.recordingTaskId = a?.recordingTaskId ?? meeting.recordingTaskId;
    r.analysisTaskIds = [a?.speechTaskId, a?.emotionTaskId].filter((id): id is string => id !== undefined);
    const problems: string[] = [];
    if (meeting.state !== 'ended') problems.push(`meeting state ${meeting.state}`);
    for (const id of r.transcripts) {
      const seen = meeting.transcripts.filter((t) => t.taskId === id);
      if (seen.length !== 1 || seen[0].state !== 'completed') problems.push(`transcript ${id}: ${seen.map((t) => t.state).join(', ') || 'missing'}`);
    }
    if (a?.state !== 'completed') problems.push(`analysis ${a?.state ?? 'not started'}`);
    return problems.length > 0 ? problems.join(', ') : undefined;
  });
  await check('recording', async () => {
    const status = await http.status(`${urls['media-service']}/recordings/${recordingId}`);
    return status === 200 ? undefined : `recording ${recordingId}: ${status}`;
  });
  if (r.confirmed.has('recording') && !r.transcodeTaskId) {
    r.transcodeTaskId = (
      await http.call<{ taskId: string }>('POST', `${urls['media-service']}/recordings/${recordingId}/transcodes`, { format: 'webm', resolution: '720p' })
    ).taskId;
  }
  if (r.transcodeTaskId) {
    await check('transcode', async () => {
      const t = await http.call<{ state?: string }>('GET', `${urls['media-service']}/tasks/${r.transcodeTaskId}`, undefined, [200, 404]);
      // a completed status expires after status_retention_seconds: past it (404, whose error body has
      // no state), the logged run is what is left
      const expired = t?.state === undefined;
      if (t?.state === 'completed' || (expired && runs(r.transcodeTaskId!) > 0)) return undefined;
      return `transcode ${r.transcodeTaskId}: ${expired ? 'status expired and no run logged' : t.state}`;
    });
  } else out.push('transcode not requested yet');
  await check('ai context', async () => {
    const context = await http.call<{ state?: string; recordings?: string[] }>(
      'GET',
      `${urls['ai-service']}/meetings/${r.meetingId}/context`,
      undefined,
      [200, 404],
    );
    return context?.state === 'ended' && JSON.stringify(context.recordings) === JSON.stringify([recordingId])
      ? undefined
      : `ai context ${context?.state ?? 'missing'}, recordings ${JSON.stringify(context?.recordings)}`;
  });
  await check('ai results', async () => {
    if (!r.confirmed.has('meeting')) return 'ai results: the analysis is not complete yet';
    const results = await http.call<Array<{ taskId: string }>>('GET', `${urls['ai-service']}/meetings/${r.meetingId}/results`);
    const wrong = [...r.transcripts, ...r.analysisTaskIds].filter((id) => results.filter((x) => x.taskId === id).length !== 1);
    return wrong.length === 0 ? undefined : `ai results not there exactly once: ${wrong.join(', ')}`;
  });
  await check('presence', async () => {
    const presence = await http.call<{ state?: string; participants?: unknown[] }>(
      'GET',
      `${urls['signaling-service']}/presence/${r.meetingId}`,
      undefined,
      [200, 404],
    );
    return presence?.state === 'ended' && (presence.participants?.length ?? 0) === 0 ? undefined : `presence ${JSON.stringify(presence)}`;
  });
  r.outstanding = out;
}
