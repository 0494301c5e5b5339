import type { ClientFrame } from '@meeting/contracts';

/** What signaling instances tell each other on a meeting's relay channel (`signaling.<meetingId>` on Redis pub/sub). */
export type RelayMessage =
  | { kind: 'peer.joined'; participantId: string; name?: string; sessionId: string }
  | { kind: 'peer.left'; participantId: string; sessionId: string; reason: string }
  | { kind: 'peer.muted' | 'peer.unmuted'; participantId: string }
  | { kind: 'signal'; from: string; to: string; frame: Extract<ClientFrame, { type: 'offer' | 'answer' | 'ice' }> }
  /** The participant connected again (session `sessionId`): the instance holding an older session closes it. */
  | { kind: 'session.replaced'; participantId: string; sessionId: string }
  /** From meeting_events (read by one instance): every instance closes its sessions of the meeting, or of one participant. */
  | { kind: 'meeting.ended' }
  | { kind: 'participant.removed'; participantId: string };

/** The relay channel of a meeting. */
export const relayChannel = (meetingId: string) => `signaling.${meetingId}`;
