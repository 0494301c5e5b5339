import { QueueConfigError, QueueError } from '../errors';

/**
 * A configuration did not validate. `problems` holds one {@link QueueConfigError} per problem
 * (key path, value found with secrets masked, what was expected); the message lists them all.
 */
export class ConfigValidationError extends QueueError {
  constructor(
    readonly problems: QueueConfigError[],
    /** Files the configuration was read from, in merge order. */
    readonly sources: string[] = [],
  ) {
    const from = sources.length > 0 ? ` (from ${sources.join(' + ')})` : '';
    super(
      `invalid configuration${from}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${problems.map((p) => `  - ${p.message}`).join('\n')}`,
      'CONFIG_INVALID',
    );
  }
}

/** A configuration file could not be read or is not valid YAML (position given, content never echoed). */
export class ConfigFileError extends QueueError {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`configuration file ${file}: ${reason}`, 'CONFIG_FILE');
  }
}
