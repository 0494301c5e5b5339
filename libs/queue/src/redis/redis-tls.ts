import { readFileSync } from 'fs';
import type { ConnectionOptions } from 'tls';
import { QueueConfigError } from '../errors';

/**
 * TLS settings of the Redis connections (config `redis.tls` as a mapping). `ca`, `cert` and
 * `key` are each a PEM text (it starts with `-----BEGIN`, for example from `${VAR}`) or the path
 * of a PEM file, read when the client is created.
 */
export interface RedisTlsSettings {
  /** CA certificate(s) the server's certificate must be signed by (default: Node's trusted CAs). */
  ca?: string;
  /** Client certificate, for servers with `tls-auth-clients yes`; needs `key`. */
  cert?: string;
  /** Private key of the client certificate. Never logged. */
  key?: string;
  /** Name the server's certificate must carry (SNI and verification); default the host connected to. */
  servername?: string;
  /** Verify the server's certificate (default true). false accepts any certificate: tests only. */
  rejectUnauthorized?: boolean;
}

/** `true` (TLS with Node's trusted CAs), a mapping of {@link RedisTlsSettings}, or `false`/absent (plain text). */
export type RedisTlsOption = boolean | RedisTlsSettings;

/**
 * The `tls` options of a socket for `option` (undefined: no TLS). `path` names the option in errors.
 * @throws QueueConfigError when a file cannot be read, `cert` comes without `key` (or the reverse),
 *   or a text is neither PEM nor a readable file (the text itself is not shown).
 */
export function tlsConnectionOptions(option: RedisTlsOption | undefined, path = 'redis.tls'): ConnectionOptions | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true) return {};
  if (!!option.cert !== !!option.key) {
    throw new QueueConfigError(`${path}.${option.cert ? 'key' : 'cert'}`, undefined, 'both cert and key for a client certificate (or neither)');
  }
  const out: ConnectionOptions = {};
  if (option.ca) out.ca = pem(option.ca, `${path}.ca`);
  if (option.cert) out.cert = pem(option.cert, `${path}.cert`);
  if (option.key) out.key = pem(option.key, `${path}.key`);
  if (option.servername) out.servername = option.servername;
  if (option.rejectUnauthorized === false) out.rejectUnauthorized = false;
  return out;
}

/** A PEM text as it is, or the content of the file it names. */
function pem(value: string, path: string): string {
  if (value.trimStart().startsWith('-----BEGIN')) return value;
  const looksLikePem = value.includes('-----') || value.includes('\n');
  if (looksLikePem) throw new QueueConfigError(path, '(text not shown)', 'a PEM text starting with -----BEGIN, or the path of a PEM file');
  let text: string;
  try {
    text = readFileSync(value, 'utf8');
  } catch (error) {
    throw new QueueConfigError(path, value, `a readable PEM file (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
  if (!text.includes('-----BEGIN')) throw new QueueConfigError(path, value, 'a PEM file (no -----BEGIN line found)');
  return text;
}
