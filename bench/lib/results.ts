/**
 * Shared ends of the stand-alone bench scripts (failover, partitions, cluster pub/sub): where their
 * raw results go, and how a script's main runs.
 */
import { mkdirSync, writeFileSync } from 'fs';
import { join } from 'path';

/** A second-resolution stamp for result file names (`2026-11-30T142253`). */
export const fileStamp = (date = new Date()) => date.toISOString().slice(0, 19).replace(/:/g, '');

/** Writes `data` as JSON to bench/results/<name>.json (the folder is made when missing); the file's path. */
export function writeResultsFile(name: string, data: unknown): string {
  const dir = join(__dirname, '..', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}

/** Runs a script's main: exit 0 when it resolves, its stack on stderr and exit 1 when it rejects. */
export function runScript(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error) => {
      process.stderr.write(`${(error as Error).stack ?? error}\n`);
      process.exit(1);
    },
  );
}
