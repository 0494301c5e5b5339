import { z } from 'zod';
import { id } from '../fields';

/** Largest frame the signaling-service reads (bytes); a larger one gets `frame_too_large`. */
export const MAX_SIGNAL_FRAME_BYTES = 64 * 1024;

const ref = z.string().max(100).optional();
const candidate = z.object({
  candidate: z.string().max(2000),
  sdpMid: z.string().max(100).nullable().optional(),
  sdpMLineIndex: z.number().int().min(0).max(1000).nullable().optional(),
  usernameFragment: z.string().max(200).nullable().optional(),
});

/**
 * Frames a participant sends over the signaling WebSocket (JSON text, one object per frame, see
 * docs/signaling.md). `ref` is echoed in an `error` frame about this frame.
 */
export const CLIENT_FRAME_SCHEMA = z.discriminatedUnion('type', [
  z.object({ type: z.literal('offer'), to: id(), sdp: z.string().min(1).max(60_000), ref }).strict(),
  z.object({ type: z.literal('answer'), to: id(), sdp: z.string().min(1).max(60_000), ref }).strict(),
  z.object({ type: z.literal('ice'), to: id(), candidate, ref }).strict(),
  z.object({ type: z.literal('mute'), ref }).strict(),
  z.object({ type: z.literal('unmute'), ref }).strict(),
  z.object({ type: z.literal('ping'), ref }).strict(),
]);

/** One frame from a participant. */
export type ClientFrame = z.output<typeof CLIENT_FRAME_SCHEMA>;

/** A peer as the `welcome` frame lists it. */
export interface PeerInfo {
  participantId: string;
  name?: string;
  muted: boolean;
}

/** Codes of `error` frames (the session stays open) and of close frames (4xxx, the session ends). */
export const SIGNAL_ERRORS = {
  bad_json: 'the frame is not a JSON object',
  bad_frame: 'the frame breaks the protocol (see message)',
  frame_too_large: `the frame is larger than ${MAX_SIGNAL_FRAME_BYTES} bytes`,
  unknown_peer: 'the named peer is not connected to this meeting',
} as const;

/** Close codes of the signaling WebSocket. */
export const SIGNAL_CLOSE_CODES = {
  /** Normal end: the participant was removed or the meeting ended (reason says which). */
  ended: 4000,
  /** No token, a malformed one, a bad signature (reason `token_invalid`), or an expired one (`token_expired`). */
  unauthorized: 4401,
  /**
   * The token is for another meeting than the one asked for (`wrong_meeting`), or its participant
   * was removed from the meeting after the token was issued (`removed`).
   */
  forbidden: 4403,
  /** The meeting has ended (`meeting_ended`). */
  gone: 4410,
  /** The same participant connected again elsewhere (`replaced`). */
  replaced: 4409,
} as const;

/** Why the signaling-service refused a connection (the `error` frame's code and the close reason). */
export type SignalRefusal = 'token_invalid' | 'token_expired' | 'wrong_meeting' | 'removed' | 'meeting_ended';

/** Frames the signaling-service sends. */
export type ServerFrame =
  | { type: 'welcome'; meetingId: string; participantId: string; sessionId: string; peers: PeerInfo[] }
  | { type: 'peer.joined'; participantId: string; name?: string }
  | { type: 'peer.left'; participantId: string; reason: string }
  | { type: 'peer.muted' | 'peer.unmuted'; participantId: string }
  | { type: 'offer' | 'answer'; from: string; sdp: string }
  | { type: 'ice'; from: string; candidate: z.output<typeof candidate> }
  | { type: 'pong'; ref?: string }
  | { type: 'meeting.ended'; meetingId: string }
  | { type: 'error'; code: keyof typeof SIGNAL_ERRORS | SignalRefusal; message: string; ref?: string };

/**
 * A client frame read from raw text: the frame, or the `error` frame to answer with.
 */
export function readClientFrame(raw: string): { frame: ClientFrame } | { error: Extract<ServerFrame, { type: 'error' }> } {
  if (Buffer.byteLength(raw) > MAX_SIGNAL_FRAME_BYTES) return { error: { type: 'error', code: 'frame_too_large', message: SIGNAL_ERRORS.frame_too_large } };
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { error: { type: 'error', code: 'bad_json', message: SIGNAL_ERRORS.bad_json } };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { error: { type: 'error', code: 'bad_json', message: SIGNAL_ERRORS.bad_json } };
  const ref = typeof (value as { ref?: unknown }).ref === 'string' ? ((value as { ref: string }).ref as string).slice(0, 100) : undefined;
  const parsed = CLIENT_FRAME_SCHEMA.safeParse(value);
  if (parsed.success) return { frame: parsed.data };
  const issues = parsed.error.issues.map((issue) => `${issue.path.map(String).join('.') || 'frame'}: ${issue.message}`).join('; ');
  return { error: { type: 'error', code: 'bad_frame', message: issues, ref } };
}
