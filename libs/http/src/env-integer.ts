/**
 * An integer setting from the environment: `fallback` when the variable is unset or empty.
 * @throws Error naming the variable when it is not an integer of at least `min` (and at most `max`)
 */
export function envInteger(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be ${describeRange(min, max)}, got "${raw}"`);
  return value;
}

function describeRange(min: number, max: number): string {
  if (max < Number.MAX_SAFE_INTEGER) return `an integer from ${min} to ${max}`;
  return min === 1 ? 'a positive integer' : min === 0 ? 'a non-negative integer' : `an integer >= ${min}`;
}
