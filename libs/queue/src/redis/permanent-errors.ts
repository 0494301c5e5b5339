import type { Cluster, Redis } from 'ioredis';
import { connect, ConnectionOptions } from 'tls';
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
  // duck-typed: errors of Node's core (TLS) may come from another realm (Jest's sandbox)
  if (typeof error !== 'object' || error === null || typeof (error as Error).message !== 'string') return null;
  const text = (error as Error).message.split('\n')[0];
  const reply = /^([A-Z]+)\b/.exec(text)?.[1];
  if (reply) {
    if (reply === 'WRONGPASS') {
      return new RedisAuthError(`Redis ${description} refused the credentials (${text}); check redis.username and redis.password`, reply);
    }
    if (reply === 'NOAUTH') {
      return new RedisAuthError(`Redis ${description} requires a password (${text}); set redis.password (and redis.username for an ACL user)`, reply);
    }
    if (reply === 'NOPERM') {
      return new RedisPermissionError(
        `Redis ${description}: the ACL user lacks a permission the library needs (${text}); grant it (docs/security.md lists the rule)`,
        reply,
      );
    }
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

const fatal = new WeakMap<object, RedisPermanentError>();

/** The permanent error that stopped `client` before it was ever ready, if any. */
export function permanentErrorOf(client: object): RedisPermanentError | undefined {
  return fatal.get(client);
}

type Client = Redis | Cluster;
type Command = { reject(error: Error): void; promise: Promise<unknown> };

/**
 * A client that meets a permanent error before it was ever ready stops there: it does not
 * reconnect, every command waiting in its queue or sent later is rejected with the typed error,
 * and `waitUntilReady` rejects with it at once. Once a client has been ready, the same errors (a
 * password rotated under a running service) are treated as an outage: it keeps reconnecting.
 */
export function stopOnPermanentError<C extends Client>(client: C, description: string): C {
  let wasReady = false;
  client.once('ready', () => (wasReady = true));
  let diagnosing = false;
  const onError = (error: Error) => {
    if (wasReady || fatal.has(client)) return;
    const permanent = permanentRedisError(error, description);
    if (!permanent) {
      // ioredis reports a failed TLS handshake with a Sentinel or a Cluster node only as "All
      // sentinels are unreachable" / "Failed to refresh slots cache": one handshake of our own
      // says whether it is a certificate problem
      const target = tlsDiagnosisTarget(client);
      if (target && !diagnosing && /All sentinels are unreachable|Failed to refresh slots cache/.test(error.message)) {
        diagnosing = true;
        void tlsHandshakeError(target).then((cause) => {
          diagnosing = false;
          if (cause) onError(cause);
        });
      }
      return;
    }
    fatal.set(client, permanent);
    client.emit('permanent-error', permanent);
    (client as unknown as { flushQueue?: (error: Error) => void }).flushQueue?.(permanent);
    // later commands fail with the same error, not "Connection is closed."
    const stopped = client as unknown as { sendCommand(command: Command): unknown };
    stopped.sendCommand = (command: Command) => {
      command.reject(permanent);
      return command.promise;
    };
    client.disconnect();
  };
  client.on('error', onError);
  client.on('node error', onError);
  return client;
}

type Node = { host?: string; port?: number };

/**
 * Where a TLS handshake tells what ioredis hides: the first Sentinel of a Sentinel client, the
 * first seed node of a Cluster, with their TLS options; undefined without TLS or for a single Redis.
 */
function tlsDiagnosisTarget(client: Client): ConnectionOptions | undefined {
  const c = client as {
    options?: { sentinels?: Node[]; sentinelTLS?: ConnectionOptions; redisOptions?: { tls?: ConnectionOptions } };
    startupNodes?: Array<Node | string | number>;
  };
  const sentinel = c.options?.sentinels?.[0];
  if (sentinel && c.options?.sentinelTLS) return { ...c.options.sentinelTLS, host: sentinel.host ?? '127.0.0.1', port: sentinel.port ?? 26379 };
  const seed = c.startupNodes?.[0];
  const tls = c.options?.redisOptions?.tls;
  if (tls && seed && typeof seed === 'object') return { ...tls, host: seed.host ?? '127.0.0.1', port: seed.port ?? 6379 };
  return undefined;
}

/** The error of one TLS handshake with `target` (null when it succeeds, or fails for another reason within 5 s). */
function tlsHandshakeError(target: ConnectionOptions): Promise<Error | null> {
  return new Promise((resolve) => {
    const socket = connect(target);
    const done = (error: Error | null) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(error && permanentRedisError(error, '') ? error : null);
    };
    const timer = setTimeout(() => done(null), 5000).unref();
    socket.once('secureConnect', () => done(null));
    socket.once('error', (error) => done(error));
  });
}

/** An ACL refusal (`NOPERM`), from a command or from inside a script. */
export function isAclRefusal(error: unknown): boolean {
  const message = typeof error === 'object' && error !== null ? String((error as Error).message) : '';
  return /^NOPERM\b/.test(message) || /can't run this command|no permissions to/i.test(message);
}
