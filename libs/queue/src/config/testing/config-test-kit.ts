import { ConfigValidationError } from '../config-errors';

/** The ConfigValidationError `fn` throws (any other outcome fails the test). */
export function problemsOf(fn: () => unknown): ConfigValidationError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigValidationError) return error;
    throw error;
  }
  throw new Error('expected a ConfigValidationError');
}
