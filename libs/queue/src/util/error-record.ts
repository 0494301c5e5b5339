import type { RecordedError } from '../queue/queue.types';

/**
 * What is stored of a handler's error (status, dead letter, result stream): name, message and,
 * unless `stack: false` (outcomes sent to other services), the stack. Non-errors are described
 * (their JSON, else `String`); a `name` or `message` that is not a string is written as one. Never
 * throws: a value whose fields or conversion throw (a Proxy, a throwing `message` getter) gets a
 * generic message (it escaped the worker's settlement as an unhandled rejection, ending the process).
 */
export function recordError(error: unknown, options: { stack?: boolean } = {}): RecordedError {
  try {
    if (error instanceof Error) {
      const recorded: RecordedError = { name: asText(error.name), message: asText(error.message) };
      const stack: unknown = options.stack === false ? undefined : error.stack;
      if (typeof stack === 'string') recorded.stack = stack;
      return recorded;
    }
    return { name: 'Error', message: typeof error === 'string' ? error : describe(error) };
  } catch {
    return { name: 'Error', message: 'a thrown value that could not be read (its fields or conversion threw)' };
  }
}

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
