/** Exit codes of `mq` (docs/cli.md). */
export const EXIT = { ok: 0, notFound: 1, usage: 2, unreachable: 3 } as const;

/** An error that ends the command with a one-line message and an exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new CliError(`${what} not found`, EXIT.notFound);
export const usage = (message: string) => new CliError(message, EXIT.usage);
