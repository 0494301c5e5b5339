/**
 * `npm start` (from the sources) and `npm run start:prod` (built, from dist/: the services then run
 * as `node dist/apps/<service>/main.js`): the whole platform on one machine. Resolves Redis once (REDIS_URL, else a private
 * redis-server from PATH, else memory), starts ai-, meeting-, media- and signaling-service as child
 * processes with their output prefixed, prints their URLs; Ctrl-C stops the services gracefully,
 * then the embedded Redis.
 *
 * The work runs in a second process in its own process group, so that a terminal's Ctrl-C (sent to
 * the whole foreground group) reaches only this front process, which forwards it: the services
 * drain while Redis is still up, and Redis stops last.
 */
import 'reflect-metadata';
import { spawn } from 'child_process';
import { resolve } from 'path';
import { runPlatform } from './supervisor';

const ROOT = resolve(__dirname, '..', '..', '..');

function front(): void {
  const child = spawn(process.execPath, [...process.execArgv, __filename], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, PLATFORM_SUPERVISOR: '1' },
  });
  const forward = (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  process.on('SIGINT', () => forward('SIGINT'));
  process.on('SIGTERM', () => forward('SIGTERM'));
  process.on('SIGHUP', () => forward('SIGTERM'));
  child.once('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

if (process.env.PLATFORM_SUPERVISOR === '1') {
  runPlatform((code) => process.exit(code)).catch((error) => {
    console.error(`platform: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
} else {
  front();
}
