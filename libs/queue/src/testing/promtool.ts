import { spawnSync } from 'child_process';

/**
 * promtool (it ships with Prometheus) for the tests that lint a metrics exposition or check the
 * deploy/ rules. A missing promtool fails with a message naming it and how to get it, and every
 * error thrown here is a plain Error with a string message: Jest can report and serialise it
 * (spawnSync's own ENOENT error is circular and broke `jest --json`).
 */

export const HOW_TO_GET_PROMTOOL =
  'promtool is not installed; these tests need it. It ships with Prometheus: Debian/Ubuntu `apt-get install prometheus`, macOS `brew install prometheus`, ' +
  'or the release archive from https://prometheus.io/download/ (set PROMTOOL=/path/to/promtool when it is not on PATH). .ci/run installs it.';

export class PromtoolMissingError extends Error {
  constructor(binary: string) {
    super(`${HOW_TO_GET_PROMTOOL} (tried: ${binary})`);
    this.name = 'PromtoolMissingError';
  }
}

/** Runs `promtool ...args` (PROMTOOL or `promtool` on PATH) and returns its stdout; throws on a non-zero exit with its output. */
export function promtool(args: string[], options: { input?: string; cwd?: string } = {}): string {
  const binary = process.env.PROMTOOL || 'promtool';
  const result = spawnSync(binary, args, {
    cwd: options.cwd,
    input: options.input,
    encoding: 'utf8',
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (result.error) {
    if ((result.error as NodeJS.ErrnoException).code === 'ENOENT') throw new PromtoolMissingError(binary);
    throw new Error(`promtool ${args.join(' ')} could not run: ${result.error.message}`);
  }
  if (result.status !== 0) {
    throw new Error(`promtool ${args.join(' ')} exited with ${result.status ?? result.signal}:\n${result.stdout}${result.stderr}`);
  }
  return result.stdout;
}
