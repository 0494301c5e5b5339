import { CliError, usage } from './cli-errors';

/**
 * The CLI's name of each `QueueAdmin` argument `mq` passes on (`InvalidOptionError.path`, list
 * indices left out: `replay.ids[0]` is `replay.ids`). The library checks these values itself (one
 * check, not repeated here); its error names the method's argument, which an operator never typed,
 * so `mq` names the flag or argument it came from instead (docs/cli.md).
 */
const CLI_NAMES: Readonly<Record<string, string>> = {
  'publish.name': '<queue>',
  'publish.type': '<type>',
  'publish.priority': '--priority',
  'peek.target': '--tier',
  'peek.limit': '--limit',
  'peek.offset': '--offset',
  'inflight.limit': '--limit',
  'inflight.offset': '--offset',
  'rateLimits.scanMax': '--scan',
  'queueGroups.limit': '--limit',
  'status.id': '<id>',
  'deadLetter.id': '<id>',
  'replay.ids': '<id>',
  'deleteDeadLetters.ids': '<id>',
  'deadLetters.filter.type': '--type',
  'deadLetters.filter.since': '--since',
  'deadLetters.filter.limit': '--limit',
  'deadLetters.scanMax': '--scan',
  'schedules.schedulerName': '--scheduler',
  'cancelSchedule.schedulerName': '--scheduler',
  'cancelSchedule.id': '<id>',
  'groups.channel': '<channel>',
  'tail.channel': '<channel>',
  'tail.mode': '--mode',
  'dashboard.allowedHosts': '--allowed-host',
};

/** An error of the library that names the option it refuses (`QueueConfigError`, `InvalidOptionError`). */
interface OptionErrorLike {
  name: string;
  path: string;
  message: string;
}

function isOptionError(error: unknown): error is OptionErrorLike {
  const { name, path } = (error ?? {}) as Partial<OptionErrorLike>;
  return (name === 'InvalidOptionError' || name === 'QueueConfigError') && typeof path === 'string';
}

/**
 * The usage error (exit 2) of a library error refusing an argument, named as the CLI's flag or
 * argument when the table knows its path (`status.id: expected ...` becomes `<id>: expected ...`);
 * undefined for any other error.
 */
export function usageOfLibraryError(error: unknown): CliError | undefined {
  if (!isOptionError(error)) return undefined;
  const name = CLI_NAMES[error.path.replace(/\[\d+\]/g, '')];
  const message = name !== undefined && error.message.startsWith(error.path) ? `${name}${error.message.slice(error.path.length)}` : error.message;
  return usage(message);
}
