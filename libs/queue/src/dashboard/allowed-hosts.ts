import { isIP } from 'net';
import { InvalidOptionError } from '../errors/queue-errors';
import type { OptionError } from '../util/fields';

/** What an entry of `allowedHosts` may be, in words. */
const ENTRY_EXPECTED = 'a host name without port or scheme (dashboard.example.com; .example.com for it and its subdomains; an IP address)';
/** A host name, or `.` and a domain (it and its subdomains); labels of letters, digits, `-` and `_`. */
const HOST_NAME = /^\.?[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/** A host name or address as compared: lower case, no IPv6 brackets, no trailing dot. */
function bare(name: string): string {
  return name
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
}

/**
 * Checks `allowedHosts` (absent: no check) and returns the entries as compared. Throws `error` at
 * `path` (not a non-empty list) or `path[i]` (an entry with a port, a scheme, a path...).
 */
export function checkAllowedHosts(value: unknown, path: string, error: OptionError = InvalidOptionError): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0) throw new error(path, value, 'a non-empty list of host names');
  return value.map((entry: unknown, i) => {
    const name = typeof entry === 'string' ? bare(entry) : '';
    if (!HOST_NAME.test(name) && isIP(name) === 0) throw new error(`${path}[${i}]`, entry, ENTRY_EXPECTED);
    return name;
  });
}

/**
 * Whether a request's `Host` header names one of `allowed` (port not compared; `.example.com`
 * matches example.com and its subdomains). A request without `Host` passes: browsers, which DNS
 * rebinding works through, always send one.
 */
export function hostAllowed(header: string | undefined, allowed: readonly string[]): boolean {
  if (header === undefined) return true;
  let name: string;
  try {
    name = bare(new URL(`http://${header}`).hostname);
  } catch {
    return false;
  }
  return allowed.some((entry) => (entry.startsWith('.') ? name === entry.slice(1) || name.endsWith(entry) : name === entry));
}

/** `localhost`, `*.localhost`, an address of 127.0.0.0/8 or `::1` (with or without brackets). */
export function isLoopbackName(name: string): boolean {
  const host = bare(name);
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * The `allowedHosts` of a dashboard listening on the loopback address `host` (`mq dashboard`):
 * `localhost` and its subdomains, 127.0.0.1, ::1 and `host` itself.
 */
export function loopbackHosts(host: string): string[] {
  const names = ['localhost', '.localhost', '127.0.0.1', '::1'];
  const own = bare(host);
  return names.includes(own) || own.endsWith('.localhost') ? names : [...names, own];
}
