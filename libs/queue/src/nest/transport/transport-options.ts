import { QueueConfigError } from '../../errors';
import { QueueManager } from '../../manager/queue-manager';
import { checkKnownKeys } from '../../util/fields';

/*
 * What the checks of the Nest transport's constructor options share: the client and the server
 * check theirs when built (not first when they connect, listen or close), throwing
 * QueueConfigError at `queueClient.<key>` / `queueTransport.<key>`, like `queueModule.<key>` of QueueModule.
 */

/** An options object of known keys (absent: none); throws QueueConfigError at `path` or `<path>.<key>`. */
export function optionsObject(options: unknown, known: readonly string[], path: string): Record<string, unknown> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new QueueConfigError(path, options, `an options object { ${known.join(', ')} }`);
  }
  checkKnownKeys(options, known, path);
  return options as Record<string, unknown>;
}

/** Checks `manager` and `config`, which both transports take: a QueueManager, and a configuration mapping. */
export function checkManagerAndConfig(options: Record<string, unknown>, path: string): void {
  if (options.manager !== undefined && !(options.manager instanceof QueueManager)) {
    throw new QueueConfigError(`${path}.manager`, options.manager, 'a QueueManager');
  }
  const config = options.config;
  if (config !== undefined && (config === null || typeof config !== 'object' || Array.isArray(config))) {
    throw new QueueConfigError(`${path}.config`, config, 'a configuration mapping (a loadConfig() result or an object in YAML shape)');
  }
}
