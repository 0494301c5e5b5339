import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { signJoinToken } from '@meeting/contracts';
import { MEETING_OPTIONS, MeetingOptions } from './meeting-options';

/**
 * Signs the join tokens the signaling-service checks (HMAC-SHA256 over meeting id, participant id,
 * expiry and the meeting's `seq` at issue, so a later removal revokes it; the secret is never logged).
 */
@Injectable()
export class JoinTokens implements OnModuleInit {
  private readonly logger = new Logger('JoinTokens');

  constructor(@Inject(MEETING_OPTIONS) private readonly options: MeetingOptions) {}

  onModuleInit(): void {
    if (this.options.developmentSecret) this.logger.warn('JOIN_TOKEN_SECRET is not set: join tokens use the development secret (set it outside development)');
  }

  /** A token for the participant, `seq` being the meeting's version the admission read or wrote. */
  issue(meetingId: string, participantId: string, name: string, seq: number): { token: string; expiresAt: string } {
    const expiresAt = Date.now() + this.options.joinTokenTtlMs;
    return { token: signJoinToken({ meetingId, participantId, name, expiresAt, seq }, this.options.tokenSecret), expiresAt: new Date(expiresAt).toISOString() };
  }
}
