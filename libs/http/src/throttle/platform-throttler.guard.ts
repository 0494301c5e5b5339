import { ExecutionContext, HttpException, HttpStatus, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';

/** What a refused request is told: the limit, its window and when to come back (also in Retry-After). */
export function tooManyRequestsMessage(detail: Pick<ThrottlerLimitDetail, 'limit' | 'ttl' | 'timeToBlockExpire'>): string {
  return `too many requests: at most ${detail.limit} per ${detail.ttl} ms from one client on this route, retry after ${detail.timeToBlockExpire} s`;
}

/**
 * @nestjs/throttler's guard (Retry-After and the limit headers as it sets them) answering 429 in the
 * platform's error shape, `{ statusCode: 429, error: 'Too Many Requests', message }`, instead of
 * `{ statusCode, message: 'ThrottlerException: Too Many Requests' }`.
 */
@Injectable()
export class PlatformThrottlerGuard extends ThrottlerGuard {
  protected override async throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const status = HttpStatus.TOO_MANY_REQUESTS;
    throw new HttpException(HttpException.createBody(tooManyRequestsMessage(detail), 'Too Many Requests', status), status);
  }
}
