/*
 * A Redis URL as the client reads it (`redis.url` and `REDIS_URL` of the configuration; the shape
 * is also what `createRedisClient` takes): ioredis parses the URL with WHATWG `URL`
 * and percent-decodes the user name and password. A URL it cannot parse (a password holding `/`,
 * `?` or `#`, a port out of range) used to pass the configuration and fail at connect time with a
 * raw `TypeError: Invalid URL` whose `input` held the password; a `%` not followed by two hex
 * digits failed with `URIError`.
 */

/** The shape of a Redis URL (also in the JSON Schema); {@link isUsableRedisUrl} checks the rest. */
export const REDIS_URL_PATTERN = /^rediss?:\/\/\S+$/;

/** What a value that is not a `redis://` / `rediss://` URL at all was expected to be. */
export const REDIS_URL_SCHEME_EXPECTED = 'a redis:// or rediss:// URL';

/** What a Redis URL must be, as said by the configuration errors. */
export const REDIS_URL_EXPECTED =
  'a redis:// or rediss:// URL (redis://[user:password@]host[:port][/db], a port in 1..65535 when given) that parses: percent-encode / ? # @ % in the user name and password (%2F %3F %23 %40 %25), or give the password in redis.password';

/** A `:` closing the authority with no port after it. */
const EMPTY_PORT = /^rediss?:\/\/[^/?#]*:(?=[/?#]|$)/;

/** The URL parsed as ioredis parses it, or undefined when it cannot be used. */
function parseRedisUrl(url: string): URL | undefined {
  if (!REDIS_URL_PATTERN.test(url)) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
    decodeURIComponent(parsed.username);
    decodeURIComponent(parsed.password);
  } catch {
    return undefined;
  }
  if (!parsed.hostname || !/^(\/\d*)?$/.test(parsed.pathname)) return undefined;
  // what the client would fill in silently: an empty port (`redis://host:` is 6379), port 0 (the
  // default), a `db` option that is no number
  if (EMPTY_PORT.test(url) || parsed.port === '0') return undefined;
  const db = parsed.searchParams.get('db');
  if (db !== null && !/^\d+$/.test(db)) return undefined;
  return parsed;
}

/**
 * What a URL the client cannot use was expected to be: {@link REDIS_URL_SCHEME_EXPECTED} when it is
 * no `redis://` / `rediss://` URL at all, else {@link REDIS_URL_EXPECTED}; undefined when usable.
 */
export function redisUrlProblem(url: string): string | undefined {
  if (parseRedisUrl(url)) return undefined;
  return REDIS_URL_PATTERN.test(url) ? REDIS_URL_EXPECTED : REDIS_URL_SCHEME_EXPECTED;
}

/** True when `url` is a Redis URL the client can use (see {@link REDIS_URL_EXPECTED}). */
export function isUsableRedisUrl(url: string): boolean {
  return parseRedisUrl(url) !== undefined;
}

/**
 * The URL in its canonical form (WHATWG serialization: an `@` in the password becomes `%40`, as
 * the client reads it). Unusable URLs are
 * returned unchanged (they are refused by validation).
 */
export function canonicalRedisUrl(url: string): string {
  return parseRedisUrl(url)?.href ?? url;
}
