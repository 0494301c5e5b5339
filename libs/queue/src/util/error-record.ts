import type { RecordedError } from '../queue/queue.types';

/** Most characters of a recorded error's `message` kept (the rest is cut, see {@link capText}). */
export const RECORDED_MESSAGE_MAX = 8192;
/** Most characters of a recorded error's `stack` kept. */
export const RECORDED_STACK_MAX = 16_384;
/** Most characters of a recorded error's `name` kept. */
export const RECORDED_NAME_MAX = 256;

/**
 * What is stored of a handler's error (status, dead letter, result stream): name, message and,
 * unless `stack: false` (outcomes sent to other services), the stack. Non-errors are described
 * (their JSON, else `String`); a `name` or `message` that is not a string is written as one. The
 * message is cut to {@link RECORDED_MESSAGE_MAX} characters, the stack to {@link RECORDED_STACK_MAX}
 * and the name to {@link RECORDED_NAME_MAX}, each ending with a marker saying how much was cut
 * (`… [truncated 5234567 characters]`), so one huge error does not fill Redis. Never throws: a value
 * whose fields or conversion throw (a Proxy, a throwing `message` getter) gets a generic message
 * (it escaped the worker's settlement as an unhandled rejection, ending the process).
 */
export function recordError(error: unknown, options: { stack?: boolean } = {}): RecordedError {
  try {
    if (error instanceof Error) {
      const recorded: RecordedError = { name: capText(asText(error.name), RECORDED_NAME_MAX), message: capText(asText(error.message), RECORDED_MESSAGE_MAX) };
      const stack: unknown = options.stack === false ? undefined : error.stack;
      if (typeof stack === 'string') recorded.stack = capText(stack, RECORDED_STACK_MAX);
      return recorded;
    }
    return { name: 'Error', message: capText(typeof error === 'string' ? error : describe(error), RECORDED_MESSAGE_MAX) };
  } catch {
    return { name: 'Error', message: 'a thrown value that could not be read (its fields or conversion threw)' };
  }
}

/**
 * `text` when it has at most `max` characters; else its first characters and the marker
 * `… [truncated N characters]` (N: how many were cut), at most `max` characters in all. A surrogate
 * pair is never split. Exported for its spec.
 */
export function capText(text: string, max: number): string {
  if (text.length <= max) return text;
  // the marker's length depends on N, which depends on the kept length: size it for the largest N
  const room = Math.max(0, max - marker(text.length).length);
  let kept = room;
  const last = text.charCodeAt(kept - 1);
  if (kept > 0 && last >= 0xd800 && last <= 0xdbff) kept -= 1; // a high surrogate whose pair would be cut
  return `${text.slice(0, kept)}${marker(text.length - kept)}`;
}

const marker = (cut: number): string => `… [truncated ${cut} characters]`;

const asText = (value: unknown): string => (typeof value === 'string' ? value : String(value));

function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value); // circular or BigInt
  }
}

/** True for an error that asks not to be retried (`retryable: false`, as {@link NonRetryableError}). */
export function isNonRetryable(error: unknown): boolean {
  try {
    return typeof error === 'object' && error !== null && (error as { retryable?: unknown }).retryable === false;
  } catch {
    return false; // a Proxy or getter that throws: retried as any error
  }
}
