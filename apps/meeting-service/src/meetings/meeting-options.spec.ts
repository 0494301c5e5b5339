import { JOIN_TOKEN_MAX_TTL_MS } from '@meeting/contracts';
import { meetingOptionsFromEnv } from './meeting-options';

describe('meetingOptionsFromEnv', () => {
  const env = (vars: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({ NODE_ENV: 'test', JOIN_TOKEN_SECRET: 'a-secret-of-sixteen-chars', ...vars });

  it('takes the defaults when the variables are unset or empty', () => {
    expect(meetingOptionsFromEnv(env({ JOIN_TOKEN_TTL_MS: '' }))).toMatchObject({
      joinTokenTtlMs: 2 * 3600_000,
      maxDurationMs: 4 * 3600_000,
      reminderBeforeMs: 300_000,
    });
  });

  it('accepts a join token lifetime up to the 24 h the signaling-service remembers removals, and refuses a longer one naming the variable', () => {
    expect(meetingOptionsFromEnv(env({ JOIN_TOKEN_TTL_MS: String(JOIN_TOKEN_MAX_TTL_MS) })).joinTokenTtlMs).toBe(86_400_000);
    expect(() => meetingOptionsFromEnv(env({ JOIN_TOKEN_TTL_MS: '86400001' }))).toThrow(
      'JOIN_TOKEN_TTL_MS must be an integer from 1000 to 86400000, got "86400001"',
    );
    expect(() => meetingOptionsFromEnv(env({ JOIN_TOKEN_TTL_MS: '999' }))).toThrow('JOIN_TOKEN_TTL_MS must be an integer from 1000 to 86400000, got "999"');
  });

  it('keeps the message of the settings without an upper bound', () => {
    expect(() => meetingOptionsFromEnv(env({ MEETING_REMINDER_BEFORE_MS: '-1' }))).toThrow(
      'MEETING_REMINDER_BEFORE_MS must be a non-negative integer, got "-1"',
    );
  });
});
