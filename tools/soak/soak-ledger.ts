/**
 * The soak's accounting over the real apps: every meeting the driver ran (what the apps
 * acknowledged, what became of it), the handler runs the apps logged by task id, the dead letters
 * of the four queues and the event stream groups. `verdict()` lists what is not accounted for.
 */
import type { LogLedger } from './soak-logs';
import type { MeetingRecord } from './soak-meetings';

export interface LedgerCounts {
  meetings: number;
  autoEnded: number;
  transcripts: number;
  emotions: number;
  frames: number;
  transcodes: number;
  /** Handler runs logged by the apps, by task type. */
  runs: Record<string, number>;
  recurring: number;
  deadLetters: number;
  duplicates: { runs: number; frames: number };
  /** Meetings the driver could not finish (an HTTP call refused or failed). */
  failedMeetings: number;
}

/** A dead letter of one of the apps' queues, or an event dead-letter stream entry. */
export interface DeadLetterSeen {
  where: string;
  id: string;
  type: string;
  reason: string;
}

/** A stream consumer group that has not delivered or acknowledged everything. */
export interface GroupLag {
  stream: string;
  group: string;
  pending: number;
  lag: number | null;
}

export class SoakLedger {
  readonly meetings: MeetingRecord[] = [];
  readonly driverErrors: string[] = [];
  readonly deadLetters = new Map<string, DeadLetterSeen>();

  constructor(private readonly logs: LogLedger) {}

  /** Planned task ids the apps dispatched for the driver's meetings: each must have run exactly once. */
  private plannedRuns(): Array<[string, string]> {
    return this.meetings.flatMap((m) => [
      ...m.transcripts.map((id): [string, string] => [id, 'speech_recognition']),
      ...(m.recordingTaskId ? [[m.recordingTaskId, 'recording_process'] as [string, string]] : []),
      ...m.analysisTaskIds.map((id): [string, string] => [id, 'analysis']),
      ...(m.transcodeTaskId ? [[m.transcodeTaskId, 'transcode'] as [string, string]] : []),
    ]);
  }

  /** What is not accounted for (empty: everything is). `recurringExpected`: at least this many media_cleanup runs. */
  verdict(recurringExpected: number, groups: GroupLag[]): string[] {
    const out: string[] = [];
    const tell = (what: string, items: string[]) => {
      if (items.length > 0) out.push(`${items.length} ${what}: ${items.slice(0, 5).join('; ')}${items.length > 5 ? '; ...' : ''}`);
    };
    tell('driver calls the apps refused or did not answer', this.driverErrors);
    tell(
      'meetings with steps that did not happen (lost frames, sockets not closed)',
      this.meetings.filter((m) => m.faults.length > 0).map((m) => `${m.meetingId}: ${m.faults.join(', ')}`),
    );
    tell(
      'relayed frames not received exactly once',
      this.meetings.flatMap((m) => [...m.frames].filter(([, n]) => n !== 1).map(([f, n]) => `${f} x${n}`)),
    );
    tell(
      'meetings not accounted for',
      this.meetings.filter((m) => m.outstanding.length > 0).map((m) => `${m.meetingId}: ${m.outstanding.join(', ')}`),
    );
    tell(
      'acknowledged tasks not run exactly once (apps logs)',
      this.plannedRuns()
        .filter(([id]) => this.logs.count(id) !== 1)
        .map(([id, type]) => `${type} ${id} x${this.logs.count(id)}`),
    );
    tell(
      'task runs logged more than once',
      [...this.logs.runs].filter(([, r]) => r.count > 1).map(([id, r]) => `${r.type} ${id} x${r.count}`),
    );
    const recurring = this.logs.ofType('media_cleanup').length;
    if (recurring < recurringExpected) out.push(`recurring media_cleanup ran ${recurring} times, expected at least ${recurringExpected}`);
    tell(
      'dead letters (none is planned)',
      [...this.deadLetters.values()].map((d) => `${d.where} ${d.type} ${d.id}: ${d.reason}`),
    );
    tell(
      'event stream groups with undelivered or unacknowledged entries',
      groups.map((g) => `${g.stream} group ${g.group}: ${g.pending} pending, lag ${g.lag ?? 'unknown'}`),
    );
    tell('warnings/errors logged by the apps', this.logs.problems);
    return out;
  }

  counts(): LedgerCounts {
    const runs: Record<string, number> = {};
    let duplicateRuns = 0;
    for (const r of this.logs.runs.values()) {
      runs[r.type] = (runs[r.type] ?? 0) + r.count;
      duplicateRuns += r.count - 1;
    }
    return {
      meetings: this.meetings.length,
      autoEnded: this.meetings.filter((m) => m.autoEnd).length,
      transcripts: this.meetings.reduce((n, m) => n + m.transcripts.length, 0),
      emotions: this.meetings.reduce((n, m) => n + m.emotions, 0),
      frames: this.meetings.reduce((n, m) => n + m.frames.size, 0),
      transcodes: this.meetings.filter((m) => m.transcodeTaskId).length,
      runs,
      recurring: this.logs.ofType('media_cleanup').length,
      deadLetters: this.deadLetters.size,
      duplicates: { runs: duplicateRuns, frames: this.meetings.reduce((n, m) => n + [...m.frames.values()].reduce((k, c) => k + Math.max(0, c - 1), 0), 0) },
      failedMeetings: this.driverErrors.length,
    };
  }
}
