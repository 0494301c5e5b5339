/**
 * `npm run soak -- [--minutes N | --seconds N] [--redis-url URL] [--tasks-per-second N] [--json FILE]`:
 * runs the soak (tools/soak/soak-run.ts) and exits 0 when every check passed, 1 otherwise.
 */
import { writeFileSync } from 'fs';
import { runSoak } from './soak-run';

function parse(argv: string[]): { seconds: number; redisUrl?: string; tasksPerSecond?: number; json?: string } {
  const args: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const [name, inline] = a.slice(2).split('=', 2);
    args[name] = inline ?? argv[++i];
    if (args[name] === undefined) throw new Error(`--${name} needs a value`);
  }
  const known = ['minutes', 'seconds', 'redis-url', 'tasks-per-second', 'json'];
  for (const name of Object.keys(args))
    if (!known.includes(name)) throw new Error(`unknown option --${name} (known: ${known.map((k) => `--${k}`).join(', ')})`);
  const seconds = args.seconds !== undefined ? Number(args.seconds) : Number(args.minutes ?? 10) * 60;
  if (!Number.isFinite(seconds) || seconds < 10) throw new Error('--minutes/--seconds: at least 10 seconds');
  const tasksPerSecond = args['tasks-per-second'] === undefined ? undefined : Number(args['tasks-per-second']);
  if (tasksPerSecond !== undefined && !(tasksPerSecond > 0)) throw new Error('--tasks-per-second: a positive number');
  return { seconds, redisUrl: args['redis-url'], tasksPerSecond, json: args.json };
}

async function main(): Promise<void> {
  const options = parse(process.argv.slice(2));
  const result = await runSoak(options);
  if (options.json) writeFileSync(options.json, JSON.stringify(result, null, 2));
  process.exitCode = result.ok ? 0 : 1;
}

main().catch((error: Error) => {
  process.stderr.write(`soak: ${error.message}\n`);
  process.exitCode = 2;
});
