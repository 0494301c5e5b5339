import { Controller, Get, Inject, NotFoundException, Param } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { PRESENCE_REPOSITORY, PresenceRepository } from './presence-repository';

/** Presence over REST, from the shared repository (any instance answers the same): every room, or one meeting's connected participants. */
@ApiTags('presence')
@Controller('presence')
export class PresenceController {
  constructor(@Inject(PRESENCE_REPOSITORY) private readonly presence: PresenceRepository) {}

  @Get()
  list() {
    return this.presence.rooms();
  }

  @Get(':meetingId')
  @ApiOkResponse({ description: "the meeting's connected participants, and whether it ended" })
  @ApiNotFoundResponse({ description: 'nobody is connected and the meeting has not ended (or is unknown)' })
  async get(@Param('meetingId') meetingId: string) {
    const [participants, ended] = await Promise.all([this.presence.list(meetingId), this.presence.isEnded(meetingId)]);
    if (participants.length === 0 && !ended) throw new NotFoundException(`nobody is connected to meeting "${meetingId}"`);
    return {
      meetingId,
      state: ended ? 'ended' : 'open',
      participants: participants.map(({ participantId, name, muted, connectedAt }) => ({ participantId, name, muted, connectedAt })),
    };
  }
}
