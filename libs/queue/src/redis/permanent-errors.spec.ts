import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join } from 'path';
import { BatchTooLargeError, RedisAuthError, RedisPermissionError, RedisTlsError, RedisUnavailableError } from '../errors';
import { isAclRefusal, permanentRedisError, redisReplyLine } from './permanent-errors';
import { isConnectionError } from './redis-connection';
import { tlsConnectionOptions } from './redis-tls';

function replyError(message: string): Error {
  const error = new Error(message);
  error.name = 'ReplyError';
  // what ioredis attaches: the AUTH arguments, password included
  (error as Error & { command: unknown }).command = { name: 'auth', args: ['svc', 'the-password'] };
  return error;
}

function codeError(code: string, message: string, reason?: string): Error {
  return Object.assign(new Error(message), { code, ...(reason ? { reason } : {}) });
}

describe('permanentRedisError', () => {
  it('types credentials, permissions and certificate problems, without keeping the raw error', () => {
    const wrong = permanentRedisError(replyError('WRONGPASS invalid username-password pair or user is disabled.'), 'redis://x:6379/0');
    expect(wrong).toBeInstanceOf(RedisAuthError);
    expect(wrong?.reason).toBe('WRONGPASS');
    expect(wrong?.message).toBe(
      'Redis redis://x:6379/0 refused the credentials (WRONGPASS invalid username-password pair or user is disabled.); check redis.username and redis.password',
    );
    expect(JSON.stringify(wrong) + String((wrong as { cause?: unknown }).cause)).not.toContain('the-password');
    expect(permanentRedisError(replyError('NOAUTH Authentication required.'), 'r')).toBeInstanceOf(RedisAuthError);
    expect(permanentRedisError(replyError("NOPERM this user has no permissions to run the 'eval' command"), 'r')).toBeInstanceOf(RedisPermissionError);
    const tls = permanentRedisError(
      codeError('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', '80EC:error:0A00045C:SSL routines:...', 'tlsv13 alert certificate required'),
      'r',
    );
    expect(tls).toBeInstanceOf(RedisTlsError);
    expect(tls?.message).toContain('certificate problem (ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: tlsv13 alert certificate required)');
    for (const code of ['SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID']) {
      expect(permanentRedisError(codeError(code, 'x'), 'r')).toBeInstanceOf(RedisTlsError);
    }
  });

  it('leaves outages and command errors alone', () => {
    for (const error of [
      codeError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:6379'),
      codeError('ECONNRESET', 'read ECONNRESET'),
      new Error('Connection is closed.'),
      replyError('LOADING Redis is loading the dataset in memory'),
      replyError('ERR wrong number of arguments'),
      replyError('WRONGTYPE Operation against a key holding the wrong kind of value'),
    ]) {
      expect(permanentRedisError(error, 'r')).toBeNull();
    }
  });

  it('is not a connection error (nothing waits in an outbox for it)', () => {
    expect(isConnectionError(new RedisTlsError('x', 'CERT_HAS_EXPIRED'))).toBe(false);
    expect(isConnectionError(new Error('Connection is closed.'))).toBe(true);
    expect(isConnectionError(new RedisUnavailableError('no Redis'))).toBe(true);
    // a request refused before sending, or a fault in the calling code: not an outage
    expect(isConnectionError(new BatchTooLargeError('queue "q"', 3, 10, 5))).toBe(false);
    expect(isConnectionError(new RangeError('Invalid string length'))).toBe(false);
    expect(isConnectionError(new TypeError('x is not a function'))).toBe(false);
  });

  it('recognises ACL refusals of commands and of commands inside scripts', () => {
    expect(isAclRefusal(replyError('NOPERM this user has no permissions to access one of the channels used as arguments'))).toBe(true);
    expect(isAclRefusal(replyError("ERR The user executing the script can't run this command or subcommand script: ..."))).toBe(true);
    expect(isAclRefusal(replyError('ERR unknown command'))).toBe(false);
  });

  it('types an ACL refusal at run time naming the command (not its arguments), and keeps the reply for phrasing', () => {
    const raw = replyError("NOPERM this user has no permissions to run the 'evalsha' command");
    (raw as Error & { command: unknown }).command = { name: 'evalsha', args: ['sha', 'the-password'] };
    const typed = permanentRedisError(raw, 'redis://127.0.0.1:6379/0');
    expect(typed).toBeInstanceOf(RedisPermissionError);
    expect(typed?.message).toContain("(NOPERM this user has no permissions to run the 'evalsha' command; command EVALSHA)");
    expect(typed?.message).not.toContain('the-password');
    expect(isAclRefusal(typed)).toBe(true);
    expect(redisReplyLine(typed)).toBe("NOPERM this user has no permissions to run the 'evalsha' command");
    expect(redisReplyLine(new Error('ERR x\nmore'))).toBe('ERR x');
    // refused inside a script
    expect(permanentRedisError(replyError("ERR The user executing the script can't run this command or subcommand script: ..."), 'r')).toBeInstanceOf(
      RedisPermissionError,
    );
  });
});

describe('tlsConnectionOptions', () => {
  const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

  it('maps true, a mapping of PEM texts, and off', () => {
    expect(tlsConnectionOptions(undefined)).toBeUndefined();
    expect(tlsConnectionOptions(false)).toBeUndefined();
    expect(tlsConnectionOptions(true)).toEqual({});
    expect(tlsConnectionOptions({ ca: PEM, cert: PEM, key: PEM, servername: 'redis.internal', rejectUnauthorized: false })).toEqual({
      ca: PEM,
      cert: PEM,
      key: PEM,
      servername: 'redis.internal',
      rejectUnauthorized: false,
    });
  });

  it('names the key of a bad value and never shows a text that is not PEM', () => {
    expect(() => tlsConnectionOptions({ key: PEM })).toThrow('redis.tls.cert: expected both cert and key for a client certificate (or neither)');
    expect(() => tlsConnectionOptions({ ca: '/no/such/ca.pem' })).toThrow('redis.tls.ca: expected a readable PEM file (ENOENT), got "/no/such/ca.pem"');
    expect(() => tlsConnectionOptions({ ca: 'secret-looking\n-----garbage' })).toThrow(/redis\.tls\.ca: .* got "\(text not shown\)"/);
    const notPem = join(mkdtempSync(join(tmpdir(), 'mq-tls-')), 'ca.pem');
    writeFileSync(notPem, 'not a certificate');
    expect(() => tlsConnectionOptions({ ca: notPem })).toThrow(/redis\.tls\.ca: expected a PEM file \(no -----BEGIN line found\)/);
    rmSync(dirname(notPem), { recursive: true });
  });
});
