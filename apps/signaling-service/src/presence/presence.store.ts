import { Injectable } from '@nestjs/common';

export interface PresentParticipant {
  participantId: string;
  name?: string;
  joinedAt?: string;
}

export interface Room {
  meetingId: string;
  state: 'open' | 'closed';
  /** Highest meeting `seq` applied. */
  seq: number;
  participants: Map<string, PresentParticipant>;
  updatedAt: string;
}

export type PresenceChange =
  | { kind: 'opened' }
  | { kind: 'joined'; participant: PresentParticipant }
  | { kind: 'left'; participantId: string }
  | { kind: 'closed' };

const MAX_ROOMS = 10_000;

/**
 * Per-meeting presence built from `meeting_events`. Events carry the meeting's `seq`: an event
 * older than what the room already applied (redelivered, or overtaken by a concurrent handler)
 * changes nothing, so the state converges whatever the delivery order. A closed room stays closed.
 */
@Injectable()
export class PresenceStore {
  private readonly rooms = new Map<string, Room>();

  /** Applies a change at `seq`; returns false when it was stale or changed nothing. */
  apply(meetingId: string, seq: number, change: PresenceChange): boolean {
    const room = this.room(meetingId);
    if (room.state === 'closed' || seq <= room.seq) return false;
    room.seq = seq;
    room.updatedAt = new Date().toISOString();
    switch (change.kind) {
      case 'opened':
        return true;
      case 'joined':
        room.participants.set(change.participant.participantId, change.participant);
        return true;
      case 'left':
        return room.participants.delete(change.participantId);
      case 'closed':
        room.state = 'closed';
        room.participants.clear();
        return true;
    }
  }

  get(meetingId: string): Room | undefined {
    return this.rooms.get(meetingId);
  }

  list(): Room[] {
    return [...this.rooms.values()];
  }

  private room(meetingId: string): Room {
    let room = this.rooms.get(meetingId);
    if (!room) {
      room = { meetingId, state: 'open', seq: 0, participants: new Map(), updatedAt: new Date().toISOString() };
      this.rooms.set(meetingId, room);
      if (this.rooms.size > MAX_ROOMS) this.rooms.delete(this.rooms.keys().next().value as string);
    }
    return room;
  }
}
