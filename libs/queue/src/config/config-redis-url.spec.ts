import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { loadConfig, maskConfig, parseConfig } from '.';
import { problemsOf } from './testing/config-test-kit';

const HINT = 'percent-encode / ? # @ % in the user name and password';

describe('redis.url and REDIS_URL as the client parses them', () => {
  it('refuses a URL the client cannot parse at redis.url, naming the file, without any part of the password', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mq-config-url-'));
    writeFileSync(join(dir, 'config.yaml'), 'redis:\n  url: redis://app:${REDIS_PASSWORD}@redis.internal:6379/0\n');
    // a generated password holding `/`: new URL() (ioredis) throws TypeError "Invalid URL" with the whole URL in `input`
    const error = problemsOf(() => loadConfig({ dir, env: { REDIS_PASSWORD: 'Xy7@k:q/Zt9' } }));
    expect(error.sources).toEqual([expect.stringContaining('config.yaml')]);
    expect(error.problems.map((p) => p.path)).toEqual(['redis.url']);
    expect(error.message).toContain(HINT);
    expect(error.message).toContain('got "redis://app:***@redis.internal:6379/0"');
    for (const part of ['Xy7', 'k:q', 'Zt9']) expect(error.message).not.toContain(part);
  });

  it.each([
    ['a % not followed by two hex digits (URIError in the client)', 'redis://:50%zzoff@h:6379'],
    ['a port out of range', 'redis://h:99999'],
    ['no host', 'redis://u:secretpw@'],
    ['a path that is not a database number', 'redis://h:6379/cache'],
    ['an empty port (the client would take 6379)', 'redis://u:secretpw@h:'],
    ['an empty port after an IPv6 host', 'redis://[::1]:/0'],
    ['port 0 (the client would take 6379)', 'redis://h:0'],
    ['a db option that is no number', 'redis://h:6380?db=x'],
    ['a path of two numbers', 'redis://h:6380/1/2'],
  ])('refuses %s', (_what, url) => {
    const error = problemsOf(() => parseConfig({ redis: { url } }, { env: {} }));
    expect(error.problems.map((p) => `${p.path}: ${p.message.includes(HINT)}`)).toEqual(['redis.url: true']);
    expect(error.message).not.toContain('secretpw');
    expect(error.message).not.toContain('zzoff');
  });

  it('refuses such a REDIS_URL at REDIS_URL, masked', () => {
    const error = problemsOf(() => parseConfig({}, { env: { REDIS_URL: 'redis://app:pa/ss@h:6379' } }));
    expect(error.problems.map((p) => p.path)).toEqual(['REDIS_URL']);
    expect(error.message).toContain(HINT);
    expect(error.message).not.toContain('pa/ss');
  });

  it('keeps a password with @ and : in its canonical form, so that masking hides all of it', () => {
    const config = parseConfig({ redis: { url: 'redis://app:p@ss:w0rd@h:6379/2' } }, { env: {} });
    expect(config.redis.url).toBe('redis://app:p%40ss%3Aw0rd@h:6379/2');
    expect(decodeURIComponent(new URL(config.redis.url ?? '').password)).toBe('p@ss:w0rd'); // what ioredis sends
    expect(maskConfig(config).redis.url).toBe('redis://app:***@h:6379/2');
    const fromEnv = parseConfig({}, { env: { REDIS_URL: 'rediss://:a@b@h:6380' } });
    expect(maskConfig(fromEnv).redis.url).toBe('rediss://:***@h:6380');
  });

  it('keeps usable URLs as they are', () => {
    for (const url of ['redis://h:6379', 'rediss://user:p%2Fw@[::1]:6380/3', 'redis://127.0.0.1', 'redis://h:6379/?family=6']) {
      expect(parseConfig({ redis: { url } }, { env: {} }).redis.url).toBe(url);
    }
  });
});
