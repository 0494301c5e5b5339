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
}

/** Sends a frame if the socket is still open. */
export function send(session: Pick<Session, 'socket'>, frame: ServerFrame): void {
  if (session.socket.readyState === session.socket.OPEN) session.socket.send(JSON.stringify(frame));
}
