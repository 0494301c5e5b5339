import { isIPv6 } from 'net';
import { InvalidOptionError } from '../errors/queue-errors';
import { checkKnownKeys, checkOption, intField, knownKeys, OptionError, timerMsField } from '../util/fields';

/**
 * How many wrong admin tokens one client address may send (`DashboardOptions.tokenAttempts`): after
 * `max` failures within `windowMs`, every token attempt from that address (the login form, the
 * `x-admin-token` header, the right token too) is answered 429 for `windowMs`.
 */
export interface TokenAttemptOptions {
  /** Failed attempts that start a block (default 10). */
  max?: number;
  /** The window the failures are counted over, and how long a block lasts (ms, default 60 000). */
  windowMs?: number;
  /** Addresses tracked at most; past it the one that failed least recently is forgotten (default 10 000). */
  maxAddresses?: number;
}

/** The limits in force: {@link TokenAttemptOptions} with their defaults. */
export type TokenAttemptLimits = Required<TokenAttemptOptions>;

/** {@link TokenAttemptOptions} by default: 10 failures within 60 s block the address for 60 s; 10 000 addresses tracked. */
export const TOKEN_ATTEMPT_DEFAULTS: Readonly<TokenAttemptLimits> = Object.freeze({ max: 10, windowMs: 60_000, maxAddresses: 10_000 });

const KEYS = knownKeys<TokenAttemptOptions>({ max: true, windowMs: true, maxAddresses: true });

/** Checks `tokenAttempts` (absent: the defaults); throws `error` at `<path>.<key>`. */
export function checkTokenAttempts(value: unknown, path: string, error: OptionError = InvalidOptionError): TokenAttemptLimits {
  if (value === undefined) return { ...TOKEN_ATTEMPT_DEFAULTS };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new error(path, value, 'an object { max, windowMs, maxAddresses }');
  checkKnownKeys(value, KEYS, path, error);
  const { max, windowMs, maxAddresses } = value as Record<string, unknown>;
  return {
    max: checkOption(intField(1, 1_000_000).default(TOKEN_ATTEMPT_DEFAULTS.max), max, `${path}.max`, error),
    windowMs: checkOption(timerMsField(1).default(TOKEN_ATTEMPT_DEFAULTS.windowMs), windowMs, `${path}.windowMs`, error),
    maxAddresses: checkOption(intField(1, 10_000_000).default(TOKEN_ATTEMPT_DEFAULTS.maxAddresses), maxAddresses, `${path}.maxAddresses`, error),
  };
}

/**
 * Failed admin-token attempts per client address, in memory (one per dashboard handler). An IPv6
 * client counts by its /64 (one host is usually given a whole /64 to pick addresses from), an
 * IPv4-mapped IPv6 address as its IPv4 address. An address that fails `max` times within
 * `windowMs` is blocked for `windowMs`; the block's start and its end are written once each to
 * `audit` (the end at the first request after it, with its time).
 * At most `maxAddresses` addresses are tracked: a new one drops the one that failed least recently
 * (and its block). A correct token changes nothing (it neither resets nor lifts a block).
 */
export class TokenAttemptLimiter {
  /** Per address, the times of its failures within the window (at most `max`). */
  private readonly tracked = new Map<string, number[]>();
  /** The blocked addresses, in the order their blocks end (every block lasts `windowMs`). */
  private readonly blocks = new Map<string, number>();

  constructor(
    private readonly limits: TokenAttemptLimits,
    private readonly audit: (line: string) => void,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** ms left of `address`'s block (0: it may try a token). */
  blockedFor(remoteAddress: string): number {
    const address = clientOf(remoteAddress);
    this.sweep();
    const until = this.blocks.get(address);
    return until === undefined ? 0 : until - this.now();
  }

  /** Counts a wrong token from `address`; the `max`-th within the window starts its block (audited). */
  failed(remoteAddress: string): void {
    const address = clientOf(remoteAddress);
    this.sweep();
    const now = this.now();
    if (this.blocks.has(address)) return;
    const failures = (this.tracked.get(address) ?? []).filter((at) => at > now - this.limits.windowMs);
    failures.push(now);
    this.tracked.delete(address); // re-inserted last: the Map's order is least recently failed first
    const blocks = failures.length >= this.limits.max;
    this.tracked.set(address, blocks ? [] : failures);
    if (blocks) {
      this.blocks.set(address, now + this.limits.windowMs);
      this.audit(
        `dashboard: blocked admin token attempts from ${address} for ${seconds(this.limits.windowMs)} s ` +
          `(${this.limits.max} wrong tokens within ${seconds(this.limits.windowMs)} s)`,
      );
    }
    while (this.tracked.size > this.limits.maxAddresses) this.forget(this.tracked.keys().next().value as string);
  }

  /** Writes the end of each block that has passed, and forgets its address. */
  sweep(): void {
    const now = this.now();
    for (const [address, until] of this.blocks) {
      if (until > now) break;
      this.blocks.delete(address);
      this.tracked.delete(address);
      this.audit(`dashboard: admin token attempts from ${address} allowed again (block ended at ${new Date(until).toISOString()})`);
    }
  }

  /** Drops the address that failed least recently (over `maxAddresses`); a block it had ends with it. */
  private forget(address: string): void {
    this.tracked.delete(address);
    if (this.blocks.delete(address))
      this.audit(`dashboard: admin token attempts from ${address} allowed again (block dropped: over ${this.limits.maxAddresses} addresses tracked)`);
  }
}

/** Whole seconds, rounded up (a `Retry-After` value). */
export function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/**
 * The client an address counts for: an IPv4 address itself; an IPv4-mapped IPv6 address
 * (`::ffff:10.0.0.1`) its IPv4 address; another IPv6 address its /64 (`2001:db8:1:2::/64`).
 */
export function clientOf(address: string): string {
  const bare = address.replace(/%.*$/, ''); // a zone id (fe80::1%eth0)
  if (!isIPv6(bare)) return address;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(bare);
  if (mapped) return mapped[1];
  const [head, tail = ''] = bare.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = bare.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const groups = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
