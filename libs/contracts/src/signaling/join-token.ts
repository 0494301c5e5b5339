import { createHmac, timingSafeEqual } from 'crypto';
import { ID_PATTERN } from '../fields';

/** What a join token grants: one participant in one meeting until `expiresAt` (ms since the epoch). */
export interface JoinGrant {
  meetingId: string;
  participantId: string;
  /** Display name shown to the peers. */
  name?: string;
  expiresAt: number;
  /**
   * The meeting's `seq` when the token was issued (claim `s`). A participant removed from the
   * meeting at a later `seq` is refused with this token (the signaling-service compares it with the
   * `seq` of the removal); admitted again, it gets a token with a newer `seq`. Absent in tokens
   * that did not carry it: such a token counts as issued before any removal.
   */
  seq?: number;
}

/** Why a token was refused: `token_invalid` (malformed or bad signature) or `token_expired`. */
export class JoinTokenError extends Error {
  override readonly name = 'JoinTokenError';

  constructor(
    readonly code: 'token_invalid' | 'token_expired',
    message: string,
  ) {
    super(message);
  }
}

const b64 = (data: Buffer | string) => Buffer.from(data).toString('base64url');
const sign = (body: string, secret: string) => createHmac('sha256', secret).update(`v1.${body}`).digest();

/**
 * A join token: `v1.<base64url(JSON {m, p, n, e, s})>.<base64url(HMAC-SHA256(secret, "v1." + body))>`,
 * made by the meeting-service when a participant is admitted and checked by the signaling-service
 * at connect. @throws Error when the secret is shorter than 16 characters or an id is not an id
 */
export function signJoinToken(grant: JoinGrant, secret: string): string {
  checkSecret(secret);
  if (!ID_PATTERN.test(grant.meetingId) || !ID_PATTERN.test(grant.participantId)) throw new Error('join token: meetingId and participantId must be ids');
  const body = b64(JSON.stringify({ m: grant.meetingId, p: grant.participantId, n: grant.name, e: grant.expiresAt, s: grant.seq }));
  return `v1.${body}.${b64(sign(body, secret))}`;
}

/**
 * The grant of a token signed with `secret`, checked at `now`.
 * @throws JoinTokenError `token_invalid` (not a token, bad signature, bad content) or `token_expired`
 */
export function verifyJoinToken(token: unknown, secret: string, now = Date.now()): JoinGrant {
  checkSecret(secret);
  const parts = typeof token === 'string' && token.length <= 2000 ? token.split('.') : [];
  if (parts.length !== 3 || parts[0] !== 'v1') throw new JoinTokenError('token_invalid', 'not a join token');
  const given = Buffer.from(parts[2], 'base64url');
  const expected = sign(parts[1], secret);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new JoinTokenError('token_invalid', 'bad signature');
  let claims: { m?: unknown; p?: unknown; n?: unknown; e?: unknown; s?: unknown };
  try {
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as typeof claims;
  } catch {
    throw new JoinTokenError('token_invalid', 'unreadable claims');
  }
  const { m, p, n, e, s } = claims;
  if (typeof m !== 'string' || !ID_PATTERN.test(m) || typeof p !== 'string' || !ID_PATTERN.test(p) || typeof e !== 'number') {
    throw new JoinTokenError('token_invalid', 'claims must name a meeting, a participant and an expiry');
  }
  if (e <= now) throw new JoinTokenError('token_expired', `expired at ${new Date(e).toISOString()}`);
  const seq = typeof s === 'number' && Number.isSafeInteger(s) && s >= 0 ? s : undefined;
  return { meetingId: m, participantId: p, name: typeof n === 'string' ? n : undefined, expiresAt: e, ...(seq === undefined ? {} : { seq }) };
}

function checkSecret(secret: string): void {
  if (typeof secret !== 'string' || secret.length < 16) throw new Error('join token secret must be at least 16 characters');
}

/**
 * The longest lifetime of a join token (the meeting-service refuses a longer JOIN_TOKEN_TTL_MS): the
 * signaling-service remembers an ended meeting and a participant's removal this long, so no token
 * issued before outlives the record that refuses it.
 */
export const JOIN_TOKEN_MAX_TTL_MS = 24 * 3600 * 1000;

/** The secret used when JOIN_TOKEN_SECRET is not set outside production (development and tests only: every instance shares it). */
export const DEVELOPMENT_JOIN_TOKEN_SECRET = 'development-only-join-token-secret';

/**
 * The join-token secret of the meeting- and signaling-services: JOIN_TOKEN_SECRET (16+ characters),
 * else, unless NODE_ENV is `production`, the development secret (`development: true`, callers warn).
 * @throws Error naming JOIN_TOKEN_SECRET when it is too short, or missing in production
 */
export function joinTokenSecretFromEnv(env: NodeJS.ProcessEnv = process.env): { secret: string; development: boolean } {
  const secret = env.JOIN_TOKEN_SECRET;
  if (secret !== undefined && secret !== '') {
    if (secret.length < 16) throw new Error('JOIN_TOKEN_SECRET must be at least 16 characters');
    return { secret, development: false };
  }
  if (env.NODE_ENV === 'production') throw new Error('JOIN_TOKEN_SECRET must be set in production (the meeting- and signaling-services share it)');
  return { secret: DEVELOPMENT_JOIN_TOKEN_SECRET, development: true };
}
