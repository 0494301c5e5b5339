/** One connected participant of a meeting: which session (and instance) holds it. */
export interface PresenceEntry {
  participantId: string;
  name?: string;
  sessionId: string;
  /** The signaling instance holding the WebSocket. */
  instance: string;
  connectedAt: string;
  muted: boolean;
}

/**
 * Who is connected to each meeting, shared by every signaling instance. Written only by the
 * sessions themselves (connect, mute, disconnect), so any instance answers the same.
 */
export interface PresenceRepository {
  /** Stores the participant's entry (replacing an older session's); resolves to the entry it replaced. */
  put(meetingId: string, entry: PresenceEntry): Promise<PresenceEntry | undefined>;
  get(meetingId: string, participantId: string): Promise<PresenceEntry | undefined>;
  /** Removes the entry only when it still belongs to `sessionId` (a newer session keeps it); true when removed. */
  remove(meetingId: string, participantId: string, sessionId: string): Promise<boolean>;
  /** Sets `muted` on the entry of that session; false when the entry belongs to another session or is gone. */
  setMuted(meetingId: string, participantId: string, sessionId: string, muted: boolean): Promise<boolean>;
  /** The meeting's connected participants, by connection time. */
  list(meetingId: string): Promise<PresenceEntry[]>;
  /** Meetings with presence or an end recorded, with their count. */
  rooms(): Promise<Array<{ meetingId: string; participants: number; ended: boolean }>>;
  /** Records that the meeting ended (new connections are refused) and drops its presence. */
  markEnded(meetingId: string): Promise<void>;
  isEnded(meetingId: string): Promise<boolean>;
}

export const PRESENCE_REPOSITORY = Symbol('PresenceRepository');

/** How long an ended meeting is remembered (join tokens expire well before). */
export const ENDED_TTL_MS = 24 * 3600 * 1000;
