import { JOIN_TOKEN_MAX_TTL_MS } from '@meeting/contracts';

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
  /**
   * One page of the meetings that have (or had) presence, for a sweep that goes through all of them a
   * few at a time: start with cursor `'0'`; the reply's cursor continues, `'0'` again when the pass
   * is complete. A page holds about `count` meetings (Redis SSCAN's hint; a small set comes whole).
   */
  roomPage(cursor: string, count: number): Promise<{ cursor: string; meetingIds: string[] }>;
  /** Records that the meeting ended (new connections are refused) and drops its presence. */
  markEnded(meetingId: string): Promise<void>;
  isEnded(meetingId: string): Promise<boolean>;
  /**
   * Records that the participant was removed from the meeting at the meeting's `seq` (the largest
   * such `seq` is kept, for ENDED_TTL_MS): its join tokens issued before are refused from then on.
   */
  markRemoved(meetingId: string, participantId: string, seq: number): Promise<void>;
  /** The `seq` of the participant's latest removal from the meeting, if any. */
  removedSeq(meetingId: string, participantId: string): Promise<number | undefined>;
  /** Marks a signaling instance alive for `ttlMs` (each instance renews it; a crashed one expires). */
  heartbeat(instance: string, ttlMs: number): Promise<void>;
  /** Forgets an instance at its shutdown. */
  retire(instance: string): Promise<void>;
  /** Which of `instances` are alive. */
  alive(instances: string[]): Promise<Set<string>>;
}

export const PRESENCE_REPOSITORY = Symbol('PresenceRepository');

/** How long an ended meeting, and a participant's removal, is remembered: as long as a join token can live. */
export const ENDED_TTL_MS = JOIN_TOKEN_MAX_TTL_MS;

/** An instance renews its heartbeat this often; past INSTANCE_TTL_MS without one, its presence entries count as lost. */
export const HEARTBEAT_MS = 5000;
export const INSTANCE_TTL_MS = 15_000;
/** Meetings a presence sweep looks at per step (one step every sweep interval, HEARTBEAT_MS by default). */
export const SWEEP_ROOMS_PER_STEP = 100;
