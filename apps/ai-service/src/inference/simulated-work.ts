/** Helpers of the simulated models: deterministic numbers from a payload, and work that honours an AbortSignal. */
import { sleepUnlessAborted } from '@meeting/queue';

/** FNV-1a hash of a string: the same input gives the same "model output". */
export function hashOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** A number in [min, max] derived from `seed` (two decimals). */
export function scoreOf(seed: string, min: number, max: number): number {
  return Math.round((min + ((hashOf(seed) % 10_000) / 10_000) * (max - min)) * 100) / 100;
}

/** Waits `ms` unless `signal` fires first; then rejects with the signal's reason (e.g. TaskTimeoutError). */
export const simulateWork = sleepUnlessAborted;
