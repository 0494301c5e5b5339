import { DEVELOPMENT_JOIN_TOKEN_SECRET, JoinTokenError, joinTokenSecretFromEnv, readClientFrame, signJoinToken, verifyJoinToken } from '../index';

const SECRET = 'a-secret-of-sixteen-plus';

describe('join tokens', () => {
  const grant = { meetingId: 'm-1', participantId: 'p-1', name: 'Ann', expiresAt: Date.now() + 60_000 };

  it('verifies what it signed, and nothing else', () => {
    const token = signJoinToken(grant, SECRET);
    expect(verifyJoinToken(token, SECRET)).toEqual(grant);
    const refused = (t: unknown, secret = SECRET, now?: number) => {
      try {
        verifyJoinToken(t, secret, now);
        return 'accepted';
      } catch (error) {
        return error instanceof JoinTokenError ? error.code : String(error);
      }
    };
    expect(refused(token, 'another-secret-of-16')).toBe('token_invalid');
    expect(refused(token, SECRET, grant.expiresAt)).toBe('token_expired');
    const [v, claims, signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ m: 'm-2', p: 'p-1', e: grant.expiresAt })).toString('base64url');
    expect(refused(`${v}.${forged}.${signature}`)).toBe('token_invalid');
    expect(refused(`${v}.${claims}`)).toBe('token_invalid');
    expect(refused(undefined)).toBe('token_invalid');
    expect(refused('x'.repeat(3000))).toBe('token_invalid');
    expect(() => signJoinToken(grant, 'short')).toThrow('at least 16 characters');
    expect(() => signJoinToken({ ...grant, meetingId: 'a b' }, SECRET)).toThrow('must be ids');
  });

  it("carries the meeting's seq at issue (what a later removal is compared with); a token without it has none", () => {
    expect(verifyJoinToken(signJoinToken({ ...grant, seq: 7 }, SECRET), SECRET)).toEqual({ ...grant, seq: 7 });
    expect(verifyJoinToken(signJoinToken(grant, SECRET), SECRET)).not.toHaveProperty('seq');
  });

  it('takes the secret from JOIN_TOKEN_SECRET, the development one outside production only', () => {
    expect(joinTokenSecretFromEnv({ JOIN_TOKEN_SECRET: SECRET })).toEqual({ secret: SECRET, development: false });
    expect(joinTokenSecretFromEnv({})).toEqual({ secret: DEVELOPMENT_JOIN_TOKEN_SECRET, development: true });
    expect(() => joinTokenSecretFromEnv({ NODE_ENV: 'production' })).toThrow('JOIN_TOKEN_SECRET must be set in production');
    expect(() => joinTokenSecretFromEnv({ JOIN_TOKEN_SECRET: 'short' })).toThrow('at least 16 characters');
  });
});

describe('client frames', () => {
  it('reads the protocol and names what is wrong', () => {
    expect(readClientFrame(JSON.stringify({ type: 'offer', to: 'p-2', sdp: 'v=0' }))).toEqual({ frame: { type: 'offer', to: 'p-2', sdp: 'v=0' } });
    expect(readClientFrame(JSON.stringify({ type: 'ice', to: 'p-2', candidate: { candidate: 'c', sdpMid: null } }))).toMatchObject({ frame: { type: 'ice' } });
    expect(readClientFrame('{')).toMatchObject({ error: { code: 'bad_json' } });
    expect(readClientFrame('[1]')).toMatchObject({ error: { code: 'bad_json' } });
    expect(readClientFrame(JSON.stringify({ type: 'answer', to: 'p 2', sdp: 'v=0', ref: 'r' }))).toMatchObject({
      error: { code: 'bad_frame', ref: 'r', message: expect.stringContaining('to:') },
    });
    expect(readClientFrame(JSON.stringify({ type: 'mute', extra: 1 }))).toMatchObject({ error: { code: 'bad_frame' } });
    expect(readClientFrame('"'.padEnd(70_000, 'x'))).toMatchObject({ error: { code: 'frame_too_large' } });
  });
});
