import { PresenceEntry, PresenceRepository, SWEEP_ROOMS_PER_STEP } from './presence-repository';

/** The entries held by instances that stopped renewing their heartbeat (never `self`'s own). */
export async function lostEntries(presence: PresenceRepository, self: string, entries: PresenceEntry[]): Promise<PresenceEntry[]> {
  if (entries.length === 0) return [];
  const alive = await presence.alive(entries.map((e) => e.instance));
  return entries.filter((e) => e.instance !== self && !alive.has(e.instance));
}

/**
 * Drops the presence of crashed signaling instances even where no peer looks (the gateway also
 * drops them when a peer lists or signals them). Each {@link step} looks at the next page of about
 * `roomsPerStep` meetings (a cursor over the rooms set), so one step stays cheap and bounded
 * however many meetings there are; successive steps cover every meeting.
 */
export class PresenceSweeper {
  private cursor = '0';

  constructor(
    private readonly presence: PresenceRepository,
    /** This instance (its own entries are never lost). */
    private readonly self: string,
    /** Removes a lost entry and tells its peers and the meeting-service (the gateway's `expire`). */
    private readonly expire: (meetingId: string, entry: PresenceEntry) => Promise<void>,
    private readonly roomsPerStep = SWEEP_ROOMS_PER_STEP,
  ) {}

  /** One step; resolves to the lost entries it expired and whether it completed a pass over all meetings. */
  async step(): Promise<{ expired: number; passComplete: boolean }> {
    const page = await this.presence.roomPage(this.cursor, this.roomsPerStep);
    this.cursor = page.cursor;
    let expired = 0;
    for (const meetingId of page.meetingIds) {
      for (const entry of await lostEntries(this.presence, this.self, await this.presence.list(meetingId))) {
        await this.expire(meetingId, entry);
        expired++;
      }
    }
    return { expired, passComplete: page.cursor === '0' };
  }
}
