import type { Meeting } from './meeting.types';

/** GET /meetings/:id/summary: what happened in a meeting, with the results of its analysis. */
export function summarize(meeting: Meeting) {
  const end = meeting.endedAt ? Date.parse(meeting.endedAt) : Date.now();
  const completed = meeting.transcripts.filter((t) => t.state === 'completed');
  const a = meeting.analysis;
  return {
    meetingId: meeting.meetingId,
    title: meeting.title,
    hostId: meeting.hostId,
    state: meeting.state,
    createdAt: meeting.createdAt,
    endedAt: meeting.endedAt ?? null,
    endReason: meeting.endReason ?? null,
    durationMs: Math.max(0, end - Date.parse(meeting.createdAt)),
    schedule: meeting.schedule
      ? { startsAt: meeting.schedule.startsAt, maxDurationMs: meeting.schedule.maxDurationMs, autoEndAt: meeting.schedule.autoEndAt }
      : null,
    participants: meeting.participants.map((p) => ({ participantId: p.participantId, name: p.name, connected: p.connected, muted: p.muted ?? false })),
    transcripts: {
      requested: meeting.transcripts.length,
      completed: completed.length,
      failed: meeting.transcripts.filter((t) => t.state === 'failed').length,
      words: completed.reduce((n, t) => n + (t.words ?? 0), 0),
    },
    analysis: a
      ? {
          state: a.state,
          recording: a.recording ?? null,
          transcript: a.transcript ?? null,
          emotion: a.emotion ?? null,
          failures: {
            recording: a.failures?.recording ?? null,
            transcription: a.failures?.transcription ?? null,
            emotion: a.failures?.emotion ?? null,
          },
          errors: a.errors,
          updatedAt: a.updatedAt,
        }
      : null,
  };
}
