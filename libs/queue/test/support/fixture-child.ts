import { ChildProcess, spawn } from 'child_process';
import { join } from 'path';

/**
 * Starts a fixture (libs/queue/test/fixtures/<name>) in a child process under ts-node and resolves
 * once it prints `ready`. The child is added to `started` at once, so a test that fails while it
 * starts still kills it.
 */
export function startFixtureChild(fixture: string, env: Record<string, string>, started: ChildProcess[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(__dirname, '..', 'fixtures', fixture)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
    cwd: join(__dirname, '..', '..', '..', '..'),
  });
  started.push(child);
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`worker exited early with ${code}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve(child);
    });
  });
}
