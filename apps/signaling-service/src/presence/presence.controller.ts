import { Controller, Get, NotFoundException, Param } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { PresenceStore, Room } from './presence.store';

function view(room: Room) {
  return { meetingId: room.meetingId, state: room.state, seq: room.seq, participants: [...room.participants.values()], updatedAt: room.updatedAt };
}

/** Presence over REST: every room, or one meeting's participants. */
@ApiTags('presence')
@Controller('presence')
export class PresenceController {
  constructor(private readonly presence: PresenceStore) {}

  @Get()
  list() {
    return this.presence.list().map((room) => ({ meetingId: room.meetingId, state: room.state, participants: room.participants.size }));
  }

  @Get(':meetingId')
  get(@Param('meetingId') meetingId: string) {
    const room = this.presence.get(meetingId);
    if (!room) throw new NotFoundException(`no presence for meeting "${meetingId}" (no meeting_events seen for it)`);
    return view(room);
  }
}
