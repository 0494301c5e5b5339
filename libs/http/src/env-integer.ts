/**
 * An integer setting from the environment: `fallback` when the variable is unset or empty.
 * @throws Error naming the variable when it is not an integer of at least `min`
 */
export function envInteger(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 1): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be ${describeMin(min)}, got "${raw}"`);
  return value;
}

function describeMin(min: number): string {
  return min === 1 ? 'a positive integer' : min === 0 ? 'a non-negative integer' : `an integer >= ${min}`;
}
