import type { ServerFrame } from '@meeting/contracts';
import type { WebSocket } from 'ws';

/** One participant's WebSocket on this instance. */
export interface Session {
  sessionId: string;
  meetingId: string;
  participantId: string;
  name?: string;
  socket: WebSocket;
  /** Set when the session is being closed by the server (`replaced` skips presence removal). */
  closing?: string;
  /**
   * Frames relayed to the session before its `welcome` was sent (it is subscribed to the meeting's
   * relay before it reads the presence the welcome lists): sent right after the welcome, in order.
   * Undefined once welcomed.
   */
  held?: ServerFrame[];
}

/** Sends a frame if the socket is still open. */
export function send(session: Pick<Session, 'socket'>, frame: ServerFrame): void {
  if (session.socket.readyState === session.socket.OPEN) session.socket.send(JSON.stringify(frame));
}

/** Sends a relayed frame, or holds it until the session's welcome is out (see {@link Session.held}). */
export function sendRelayed(session: Session, frame: ServerFrame): void {
  if (session.held) session.held.push(frame);
  else send(session, frame);
}

/** Sends the welcome, then what was relayed to the session meanwhile: the welcome is always a session's first frame. */
export function sendWelcome(session: Session, welcome: Extract<ServerFrame, { type: 'welcome' }>): void {
  const held = session.held ?? [];
  session.held = undefined;
  send(session, welcome);
  for (const frame of held) send(session, frame);
}
