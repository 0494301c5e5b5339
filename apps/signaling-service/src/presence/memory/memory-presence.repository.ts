import { PresenceEntry, PresenceRepository } from '../presence-repository';

/** Presence in this process (memory backend: one signaling instance). */
export class MemoryPresenceRepository implements PresenceRepository {
  private readonly meetings = new Map<string, Map<string, PresenceEntry>>();
  private readonly ended = new Set<string>();
  private readonly instances = new Map<string, number>();
  /** `<meetingId> <participantId>` -> seq of the latest removal. */
  private readonly removals = new Map<string, number>();

  async put(meetingId: string, entry: PresenceEntry): Promise<PresenceEntry | undefined> {
    let room = this.meetings.get(meetingId);
    if (!room) this.meetings.set(meetingId, (room = new Map()));
    const previous = room.get(entry.participantId);
    room.set(entry.participantId, { ...entry });
    return previous;
  }

  async get(meetingId: string, participantId: string): Promise<PresenceEntry | undefined> {
    const entry = this.meetings.get(meetingId)?.get(participantId);
    return entry && { ...entry };
  }

  async remove(meetingId: string, participantId: string, sessionId: string): Promise<boolean> {
    const room = this.meetings.get(meetingId);
    if (room?.get(participantId)?.sessionId !== sessionId) return false;
    room.delete(participantId);
    if (room.size === 0) this.meetings.delete(meetingId);
    return true;
  }

  async setMuted(meetingId: string, participantId: string, sessionId: string, muted: boolean): Promise<boolean> {
    const entry = this.meetings.get(meetingId)?.get(participantId);
    if (entry?.sessionId !== sessionId) return false;
    entry.muted = muted;
    return true;
  }

  async list(meetingId: string): Promise<PresenceEntry[]> {
    return [...(this.meetings.get(meetingId)?.values() ?? [])].map((e) => ({ ...e })).sort((a, b) => a.connectedAt.localeCompare(b.connectedAt));
  }

  async rooms(): Promise<Array<{ meetingId: string; participants: number; ended: boolean }>> {
    const ids = new Set([...this.meetings.keys(), ...this.ended]);
    return [...ids].map((meetingId) => ({ meetingId, participants: this.meetings.get(meetingId)?.size ?? 0, ended: this.ended.has(meetingId) }));
  }

  async roomPage(cursor: string, count: number): Promise<{ cursor: string; meetingIds: string[] }> {
    const ids = [...this.meetings.keys()].sort();
    const from = Number(cursor) || 0;
    const to = from + Math.max(1, count);
    return { cursor: to >= ids.length ? '0' : String(to), meetingIds: ids.slice(from, to) };
  }

  async markEnded(meetingId: string): Promise<void> {
    this.ended.add(meetingId);
    this.meetings.delete(meetingId);
    if (this.ended.size > 10_000) this.ended.delete(this.ended.values().next().value as string);
  }

  async isEnded(meetingId: string): Promise<boolean> {
    return this.ended.has(meetingId);
  }

  async markRemoved(meetingId: string, participantId: string, seq: number): Promise<void> {
    const key = `${meetingId} ${participantId}`;
    this.removals.set(key, Math.max(seq, this.removals.get(key) ?? 0));
    if (this.removals.size > 10_000) this.removals.delete(this.removals.keys().next().value as string);
  }

  async removedSeq(meetingId: string, participantId: string): Promise<number | undefined> {
    return this.removals.get(`${meetingId} ${participantId}`);
  }

  async heartbeat(instance: string, ttlMs: number): Promise<void> {
    this.instances.set(instance, Date.now() + ttlMs);
  }

  async retire(instance: string): Promise<void> {
    this.instances.delete(instance);
  }

  async alive(instances: string[]): Promise<Set<string>> {
    const now = Date.now();
    return new Set(instances.filter((i) => (this.instances.get(i) ?? 0) > now));
  }
}
