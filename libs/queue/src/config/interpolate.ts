import { load } from 'js-yaml';
import { QueueConfigError } from '../errors';

const PLACEHOLDER = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const WHOLE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}$/;

/**
 * A value that came from one `${VAR}` placeholder: string keys take `raw` (a password `0123` stays
 * `"0123"`), other keys take `parsed` (`"4"` is the number 4). Resolved by the schema.
 */
export class EnvValue {
  constructor(
    readonly raw: string,
    readonly parsed: unknown,
  ) {}
}

/**
 * Replaces `${VAR}` and `${VAR:-default}` in every string of a parsed YAML tree with values from
 * `env` (`$$` is a literal `$`). A string that is one placeholder and nothing else is read again
 * as a YAML scalar (see {@link EnvValue}), so `workers: ${WORKERS:-4}` gives the number 4 and `tls: ${TLS:-false}` a
 * boolean. A variable that is unset and has no default is a problem at its key path; an empty
 * value counts as set (`${VAR:-x}` uses `x` when VAR is unset or empty, as in the shell).
 */
export function interpolate(value: unknown, env: NodeJS.ProcessEnv, path: string, problems: QueueConfigError[]): unknown {
  if (typeof value === 'string') return interpolateString(value, env, path, problems);
  if (Array.isArray(value)) return value.map((item, i) => interpolate(item, env, `${path}[${i}]`, problems));
  if (value && typeof value === 'object') {
    // fromEntries defines own keys: a `__proto__:` key stays a key (reported as unknown), never a prototype
    return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, interpolate(child, env, path ? `${path}.${key}` : key, problems)]));
  }
  return value;
}

function lookup(name: string, fallback: string | undefined, env: NodeJS.ProcessEnv, path: string, problems: QueueConfigError[]): string {
  const found = env[name];
  if (fallback !== undefined) return found === undefined || found === '' ? fallback : found;
  if (found === undefined) {
    problems.push(new QueueConfigError(path, `\${${name}}`, `environment variable ${name} to be set (or a default: \${${name}:-value})`));
    return '';
  }
  return found;
}

function interpolateString(text: string, env: NodeJS.ProcessEnv, path: string, problems: QueueConfigError[]): unknown {
  const whole = WHOLE.exec(text);
  if (whole) {
    const replaced = lookup(whole[1], whole[2], env, path, problems);
    return new EnvValue(replaced, scalar(replaced));
  }
  if (!text.includes('$')) return text;
  return text.replace(PLACEHOLDER, (match, name?: string, fallback?: string) => (match === '$$' ? '$' : lookup(name!, fallback, env, path, problems)));
}

/** `"4"` -> 4, `"true"` -> true, `""` -> "", anything else stays a string (never a mapping or list). */
function scalar(text: string): unknown {
  if (text === '') return '';
  try {
    const parsed = load(text);
    return parsed === null || typeof parsed === 'object' ? text : parsed;
  } catch {
    return text;
  }
}
