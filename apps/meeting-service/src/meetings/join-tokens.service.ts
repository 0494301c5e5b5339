import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { signJoinToken } from '@meeting/contracts';
import { MEETING_OPTIONS, MeetingOptions } from './meeting-options';

/** Signs the join tokens the signaling-service checks (HMAC-SHA256 over meeting id, participant id, expiry; the secret is never logged). */
@Injectable()
export class JoinTokens implements OnModuleInit {
  private readonly logger = new Logger('JoinTokens');

  constructor(@Inject(MEETING_OPTIONS) private readonly options: MeetingOptions) {}

  onModuleInit(): void {
    if (this.options.developmentSecret) this.logger.warn('JOIN_TOKEN_SECRET is not set: join tokens use the development secret (set it outside development)');
  }

  issue(meetingId: string, participantId: string, name: string): { token: string; expiresAt: string } {
    const expiresAt = Date.now() + this.options.joinTokenTtlMs;
    return { token: signJoinToken({ meetingId, participantId, name, expiresAt }, this.options.tokenSecret), expiresAt: new Date(expiresAt).toISOString() };
  }
}
