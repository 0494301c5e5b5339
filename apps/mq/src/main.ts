import { Command, CommanderError } from 'commander';
import { CliError, EXIT } from './cli-errors';
import { usageOfLibraryError } from './cli-names';
import { registerDashboard } from './commands/dashboard';
import { registerDlq } from './commands/dlq';
import { registerEvents } from './commands/events';
import { registerLimits } from './commands/limits';
import { registerMessages } from './commands/messages';
import { registerQueueGroups } from './commands/queue-groups';
import { registerQueues } from './commands/queues';
import { registerSchedules } from './commands/schedules';
import type { GlobalOptions } from './context';

/** `mq`: the operators' command line over QueueAdmin (docs/cli.md). */
export function buildProgram(): Command {
  const program = new Command('mq')
    .description('Operate the Redis task queues, dead letters, schedules and event streams of the meeting platform.')
    .option('-c, --config <file>', 'overlay YAML over config/config.yaml, as the services read it (default: CONFIG_FILE)')
    .option('-r, --redis-url <url>', 'Redis address; wins over REDIS_URL and the files')
    .option('--prefix <prefix>', 'key prefix (default: redis.key_prefix of the configuration, mq)')
    .option('--timeout <ms>', 'give up on Redis after this many ms without an answer, connecting or while a command runs (exit 3)', '3000')
    .option('--json', 'machine-readable output (shapes in docs/cli.md)')
    .option('-y, --yes', 'do not ask before destructive commands (required when not on a terminal)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const globals = () => program.opts<GlobalOptions>();
  registerQueues(program, globals);
  registerLimits(program, globals);
  registerQueueGroups(program, globals);
  registerMessages(program, globals);
  registerDlq(program, globals);
  registerSchedules(program, globals);
  registerEvents(program, globals);
  registerDashboard(program, globals);
  const exitOverride = (command: Command) => {
    command.exitOverride();
    command.commands.forEach(exitOverride);
  };
  exitOverride(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // help and version end "successfully"; every other parse problem is a usage error
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    // an argument the library refuses is named as the CLI's flag or argument (cli-names.ts)
    const known = error instanceof CliError ? error : usageOfLibraryError(error);
    if (known) {
      process.stderr.write(`mq: ${known.message}\n`);
      return known.exitCode;
    }
    process.stderr.write(`mq: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}

/** Entry of bin/mq.js: runs, sets the exit code, and ends the process even if a connection lingers. */
export function run(argv: string[] = process.argv): void {
  void main(argv).then((code) => {
    process.exitCode = code;
    setTimeout(() => process.exit(code), 500).unref();
  });
}
