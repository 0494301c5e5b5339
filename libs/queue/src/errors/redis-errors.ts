import { QueueError } from './queue-errors';

/**
 * Redis refused for good what the client was told to do: the credentials, the permissions of its
 * ACL user, or the TLS handshake. Retrying does not help (unlike an outage); the configuration or
 * the server's users and certificates must change. Messages never contain the secret itself.
 */
export class RedisPermanentError extends QueueError {
  constructor(
    message: string,
    code: string,
    /** The server's error code or the TLS error code (`WRONGPASS`, `NOPERM`, `UNABLE_TO_VERIFY_LEAF_SIGNATURE`, ...). */
    readonly reason: string,
  ) {
    super(message, code);
  }
}

/** Redis refused the credentials (`WRONGPASS`) or needs some (`NOAUTH`): check `redis.username` / `redis.password`. */
export class RedisAuthError extends RedisPermanentError {
  constructor(message: string, reason: string) {
    super(message, 'REDIS_AUTH', reason);
  }
}

/** The ACL user may not run a command, touch a key or use a channel the library needs (`NOPERM`). */
export class RedisPermissionError extends RedisPermanentError {
  constructor(message: string, reason: string) {
    super(message, 'REDIS_PERMISSION', reason);
  }
}

/**
 * The TLS handshake failed: the server's certificate is not signed by the configured CA, has
 * another name or has expired, or the server wants a client certificate. Check `redis.tls` (`ca`, `cert`, `key`, `servername`) and the server's `tls-*` settings.
 */
export class RedisTlsError extends RedisPermanentError {
  constructor(message: string, reason: string) {
    super(message, 'REDIS_TLS', reason);
  }
}
