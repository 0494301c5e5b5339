/**
 * `npm run soak -- [--minutes N | --seconds N] [--redis-url URL] [--sessions N] [--transcripts N] [--apps sources|dist]
 *   [--tasks-per-second N] [--events-per-second N] [--dispatches-per-second N] [--json FILE]`:
 * runs the soak (tools/soak/soak-run.ts) and exits 0 when every check passed, 1 otherwise.
 */
import { writeFileSync } from 'fs';
import { runSoak, SoakOptions } from './soak-run';

function parse(argv: string[]): SoakOptions & { json?: string } {
  const args: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const [name, inline] = a.slice(2).split('=', 2);
    args[name] = inline ?? argv[++i];
    if (args[name] === undefined) throw new Error(`--${name} needs a value`);
  }
  const known = [
    'minutes',
    'seconds',
    'redis-url',
    'sessions',
    'transcripts',
    'apps',
    'tasks-per-second',
    'events-per-second',
    'dispatches-per-second',
    'json',
  ];
  for (const name of Object.keys(args))
    if (!known.includes(name)) throw new Error(`unknown option --${name} (known: ${known.map((k) => `--${k}`).join(', ')})`);
  const seconds = args.seconds !== undefined ? Number(args.seconds) : Number(args.minutes ?? 10) * 60;
  if (!Number.isFinite(seconds) || seconds < 10) throw new Error('--minutes/--seconds: at least 10 seconds');
  const count = (name: string, min: number) => {
    if (args[name] === undefined) return undefined;
    const value = Number(args[name]);
    if (!Number.isInteger(value) || value < min) throw new Error(`--${name}: an integer of at least ${min}`);
    return value;
  };
  const from = args.apps ?? 'sources';
  if (from !== 'sources' && from !== 'dist') throw new Error('--apps: sources (ts-node, as npm start) or dist (the build in dist/apps)');
  return {
    seconds,
    redisUrl: args['redis-url'],
    sessions: count('sessions', 1),
    transcriptsPerMeeting: count('transcripts', 0),
    from,
    tasksPerSecond: count('tasks-per-second', 0),
    eventsPerSecond: count('events-per-second', 0),
    dispatchesPerSecond: count('dispatches-per-second', 0),
    json: args.json,
  };
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
