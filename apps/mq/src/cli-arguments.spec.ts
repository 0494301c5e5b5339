/**
 * A bad argument the library (QueueAdmin) refuses is named as the CLI's flag or argument (`<id>`,
 * `--type`, `--scheduler`, `<channel>`...), never as the library's (`status.id`,
 * `deadLetters.filter.type`), for every command of docs/cli.md that passes one on; and the
 * not-found lines quote what was not found. Runs `main` in this process against a throwaway Redis
 * (the library checks these values once connected).
 */
import { createQueue, InvalidOptionError } from '@meeting/queue';
import { RedisServerHandle, spawnRedis, uniquePrefix } from '@meeting/queue/testing';
import { EXIT } from './cli-errors';
import { usageOfLibraryError } from './cli-names';
import { main } from './main';

jest.setTimeout(60_000);

/** Runs `mq` with these arguments: its exit code and what it wrote on stderr. */
async function mqRun(args: string[]): Promise<{ code: number; stderr: string }> {
  const written: string[] = [];
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    const code = await main(['node', 'mq', ...args]);
    return { code, stderr: written.join('') };
  } finally {
    err.mockRestore();
    out.mockRestore();
  }
}

describe('usageOfLibraryError', () => {
  it('names a known path as the CLI argument (list indices left out), leaves others as they are', () => {
    expect(usageOfLibraryError(new InvalidOptionError('replay.ids[3]', '', 'an id'))).toMatchObject({
      exitCode: EXIT.usage,
      message: '<id>: expected an id, got ""',
    });
    expect(usageOfLibraryError(new InvalidOptionError('some.other', 1, 'two'))).toMatchObject({
      exitCode: EXIT.usage,
      message: 'some.other: expected two, got 1',
    });
    expect(usageOfLibraryError(new Error('status.id: no'))).toBeUndefined();
  });
});

describe('mq: arguments the library refuses', () => {
  let server: RedisServerHandle;
  let base: string[];

  beforeAll(async () => {
    server = await spawnRedis();
    const prefix = uniquePrefix('mqargs');
    const client = server.client();
    const queue = createQueue({ name: 'q', backend: { type: 'redis', client, prefix } });
    await queue.publish({ type: 't' });
    await queue.close();
    client.disconnect();
    base = ['-r', server.url, '--prefix', prefix, '--timeout', '10000'];
  });

  afterAll(async () => {
    await server?.cleanup();
  });

  it.each([
    [['publish', 'bad name', 't'], '<queue>'],
    [['publish', 'q', 'bad type!'], '<type>'],
    [['status', 'q', ''], '<id>'],
    [['dlq', 'show', 'q', ''], '<id>'],
    [['dlq', 'replay', 'q', 'x', ''], '<id>'],
    [['dlq', 'delete', 'q', '', '--yes'], '<id>'],
    [['dlq', 'list', 'q', '--type', 'bad type!'], '--type'],
    [['dlq', 'replay-all', 'q', '--type', '', '--yes'], '--type'],
    [['dlq', 'purge', 'q', '--type', '', '--yes'], '--type'],
    [['scheduled', 'list', '--scheduler', 'bad name'], '--scheduler'],
    [['recurring', 'list', '--scheduler', ''], '--scheduler'],
    [['scheduled', 'cancel', 'once:q:x', '--scheduler', 'bad name'], '--scheduler'],
    [['recurring', 'remove', 'k', '--scheduler', 'bad name'], '--scheduler'],
    [['groups', 'bad channel!'], '<channel>'],
    [['events', 'tail', 'bad channel!'], '<channel>'],
    [['events', 'tail', 'a*', '--mode', 'stream'], '<channel>'],
  ])('%p is a usage error naming %s', async (args, name) => {
    const run = await mqRun([...base, ...args]);
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toMatch(new RegExp(`^mq: ${name.replace(/[-<>]/g, '\\$&')}: expected [^\\n]+, got [^\\n]+\\n$`));
  });

  it('dlq replay and delete quote the ids not found, as every not-found line does', async () => {
    expect(await mqRun([...base, 'dlq', 'replay', 'q', 'nosuch'])).toEqual({
      code: EXIT.notFound,
      stderr: 'mq: dead letter "nosuch" in queue "q" not found\n',
    });
    expect(await mqRun([...base, 'dlq', 'delete', 'q', 'a', 'b', '--yes'])).toEqual({
      code: EXIT.notFound,
      stderr: 'mq: dead letters "a", "b" in queue "q" not found\n',
    });
    expect(await mqRun([...base, 'status', 'q', 'nosuch'])).toEqual({ code: EXIT.notFound, stderr: 'mq: message "nosuch" in queue "q" not found\n' });
  });

  it('stats "" is a usage error naming <queue>, not every queue', async () => {
    expect(await mqRun([...base, 'stats', ''])).toMatchObject({
      code: EXIT.usage,
      stderr: 'mq: <queue>: expected a queue name of 1..100 characters from [A-Za-z0-9_.:-], got ""\n',
    });
  });
});
