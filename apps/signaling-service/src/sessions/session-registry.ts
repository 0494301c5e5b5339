import { Injectable } from '@nestjs/common';
import type { WebSocket } from 'ws';
import type { Session } from './session';

/** The sessions this instance holds, by socket and by meeting. */
@Injectable()
export class SessionRegistry {
  private readonly bySocket = new Map<WebSocket, Session>();
  private readonly byMeeting = new Map<string, Set<Session>>();

  add(session: Session): void {
    this.bySocket.set(session.socket, session);
    let sessions = this.byMeeting.get(session.meetingId);
    if (!sessions) this.byMeeting.set(session.meetingId, (sessions = new Set()));
    sessions.add(session);
  }

  /** Removes the socket's session; resolves to it and whether it was the meeting's last here. */
  remove(socket: WebSocket): { session: Session; last: boolean } | undefined {
    const session = this.bySocket.get(socket);
    if (!session) return undefined;
    this.bySocket.delete(socket);
    const sessions = this.byMeeting.get(session.meetingId);
    sessions?.delete(session);
    const last = !sessions || sessions.size === 0;
    if (last) this.byMeeting.delete(session.meetingId);
    return { session, last };
  }

  of(socket: WebSocket): Session | undefined {
    return this.bySocket.get(socket);
  }

  inMeeting(meetingId: string): Session[] {
    return [...(this.byMeeting.get(meetingId) ?? [])];
  }

  all(): Session[] {
    return [...this.bySocket.values()];
  }
}
