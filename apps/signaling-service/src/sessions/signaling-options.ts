import { joinTokenSecretFromEnv } from '@meeting/contracts';

/** Settings of the signaling sessions outside the queue configuration. */
export interface SignalingOptions {
  /** HMAC secret of join tokens, shared with the meeting-service (env JOIN_TOKEN_SECRET; never logged). */
  tokenSecret: string;
  /** True when the development secret is used (JOIN_TOKEN_SECRET unset outside production): logged as a warning. */
  developmentSecret: boolean;
  /** How often the presence sweep drops the entries of crashed instances (default HEARTBEAT_MS). */
  sweepIntervalMs?: number;
}

export const SIGNALING_OPTIONS = Symbol('SIGNALING_OPTIONS');

/** From the environment. @throws Error naming JOIN_TOKEN_SECRET (see joinTokenSecretFromEnv) */
export function signalingOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): SignalingOptions {
  const { secret, development } = joinTokenSecretFromEnv(env);
  return { tokenSecret: secret, developmentSecret: development };
}
