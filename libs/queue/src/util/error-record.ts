import type { RecordedError } from '../queue/queue.types';

/**
 * What is stored of a handler's error (status, dead letter, result stream): name, message and,
 * unless `stack: false` (outcomes sent to other services), the stack. Non-errors are described.
 */
export function recordError(error: unknown, options: { stack?: boolean } = {}): RecordedError {
  if (error instanceof Error) {
    return options.stack === false ? { name: error.name, message: error.message } : { name: error.name, message: error.message, stack: error.stack };
  }
  return { name: 'Error', message: typeof error === 'string' ? error : describe(error) };
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value); // circular or BigInt
  }
}

/** True for an error that asks not to be retried (`retryable: false`, as {@link NonRetryableError}). */
export function isNonRetryable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { retryable?: unknown }).retryable === false;
}
