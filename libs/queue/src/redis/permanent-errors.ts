import { RedisAuthError, RedisPermanentError, RedisPermissionError, RedisTlsError } from '../errors';

/*
 * Errors that retrying cannot cure (wrong credentials, missing ACL permissions, a TLS handshake
 * the certificates make impossible), told apart from outages (refused connections, resets,
 * timeouts, LOADING...), which keep today's behaviour: wait and reconnect.
 */

/** Node's certificate verification codes (`tls.TLSSocket#authorizationError` and handshake errors). */
const CERTIFICATE_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function tlsCode(error: object): string | null {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return null;
  // ERR_SSL_*: alerts and protocol failures (wrong version number: TLS against a plain port,
  // certificate required / bad certificate: the server wants a client certificate);
  // ERR_OSSL_*: a key that does not match its certificate, an unreadable PEM
  if (CERTIFICATE_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_OSSL_')) return code;
  return null;
}

/**
 * The typed error for a failure that retrying cannot cure, or null for an outage (and anything
 * else). `description` is the secret-free name of the connection (a masked URL). The message
 * never contains the password: a Redis reply does not echo it, and the raw error (whose
 * `command.args` holds the AUTH arguments) is not kept as `cause`.
 */
export function permanentRedisError(error: unknown, description: string): RedisPermanentError | null {
  if (error instanceof RedisPermanentError) return error;
  const typed = classify(error, description);
  if (typed) replies.set(typed, String((error as Error).message).split('\n')[0]);
  return typed;
}

/** The typed errors' own replies (first line), for components that phrase a refusal themselves. */
const replies = new WeakMap<RedisPermanentError, string>();

/**
 * The first line of Redis' reply behind `error` (`NOPERM this user has no permissions to ...`): for
 * a typed error the reply it was made from, else the error's own first line. Never a secret (a
 * reply does not echo the password).
 */
export function redisReplyLine(error: unknown): string {
  return (error instanceof RedisPermanentError ? replies.get(error) : undefined) ?? String((error as Error)?.message ?? error).split('\n')[0];
}

function classify(error: unknown, description: string): RedisPermanentError | null {
  // duck-typed: errors of Node's core (TLS) may come from another realm (Jest's sandbox)
  if (typeof error !== 'object' || error === null || typeof (error as Error).message !== 'string') return null;
  const text = (error as Error).message.split('\n')[0];
  const reply = /^([A-Z]+)\b/.exec(text)?.[1];
  if (reply) {
    if (reply === 'WRONGPASS') {
      return new RedisAuthError(`Redis ${description} refused the credentials (${text}); check redis.username and redis.password`, reply);
    }
    if (reply === 'NOAUTH') {
      // also the reply to a command ioredis sent behind an AUTH that was refused (a Cluster client
      // reads the slot map that way): the password may be set but wrong
      return new RedisAuthError(`Redis ${description} requires a password (${text}); set or check redis.password (and redis.username for an ACL user)`, reply);
    }
  }
  if (isAclRefusal(error)) {
    // the command's name only: its arguments may be secrets (AUTH) or payloads
    const name = (error as { command?: { name?: unknown } }).command?.name;
    const command = typeof name === 'string' ? `; command ${name.toUpperCase()}` : '';
    return new RedisPermissionError(
      `Redis ${description}: the ACL user lacks a permission the library needs (${text}${command}); grant it (docs/security.md lists the rule)`,
      'NOPERM',
    );
  }
  const code = tlsCode(error);
  if (code) {
    // OpenSSL's messages carry their source position; its `reason` says the same in words
    const why = (error as { reason?: unknown }).reason;
    return new RedisTlsError(
      `Redis ${description}: TLS handshake failed, certificate problem (${code}: ${typeof why === 'string' ? why : text}); check redis.tls (ca, cert, key, servername) and the server's tls-* settings`,
      code,
    );
  }
  return null;
}

/** An ACL refusal (`NOPERM`), from a command or from inside a script. */
export function isAclRefusal(error: unknown): boolean {
  if (error instanceof RedisPermissionError) return true;
  const message = typeof error === 'object' && error !== null ? String((error as Error).message) : '';
  return /^NOPERM\b/.test(message) || /can't run this command|no permissions to/i.test(message);
}
