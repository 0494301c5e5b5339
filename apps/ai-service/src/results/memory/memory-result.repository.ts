import { MAX_RESULTS_PER_MEETING, ResultRepository, StoredResult } from '../result-repository';

/** Results in this process (memory backend). */
export class MemoryResultRepository implements ResultRepository {
  private readonly byMeeting = new Map<string, Map<string, StoredResult>>();

  async record(meetingId: string, result: StoredResult): Promise<void> {
    let results = this.byMeeting.get(meetingId);
    if (!results) this.byMeeting.set(meetingId, (results = new Map()));
    results.set(result.taskId, structuredClone(result));
    if (results.size > MAX_RESULTS_PER_MEETING) results.delete(results.keys().next().value as string);
  }

  async list(meetingId: string): Promise<StoredResult[]> {
    return [...(this.byMeeting.get(meetingId)?.values() ?? [])].map((r) => structuredClone(r)).sort((a, b) => a.finishedAt.localeCompare(b.finishedAt));
  }
}
