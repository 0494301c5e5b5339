/**
 * What mq.e2e.spec.ts and its scenario modules (mq-e2e-*.ts here) share: where the `mq` bin is, the
 * result of one run of it, and the context the spec's beforeAll fills in (the seeded throwaway Redis,
 * the prefix, the runners of the bin) that each scenario reads when its test runs.
 */
import { ChildProcess } from 'child_process';
import { createServer } from 'net';
import { join } from 'path';
import type Redis from 'ioredis';
import { EventBus, StoreBackedQueue } from '@meeting/queue';
import { RedisServerHandle } from '@meeting/queue/testing';

export const BIN = join(__dirname, '..', '..', 'bin', 'mq.js');
export const ROOT = join(__dirname, '..', '..', '..', '..');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The spec's state, read through a getter once beforeAll has run. */
export interface MqE2e {
  server: RedisServerHandle;
  client: Redis;
  prefix: string;
  /** Queues and buses a test leaves running; afterAll closes them. */
  closeLater: Array<StoreBackedQueue | EventBus>;
  /** The three messages published to `orders` (two normal, one high). */
  orderIds: string[];
  /** The four dead letters of `mail` (three `send`, one `other`). */
  mailDead: string[];
  /** Runs the bin with `--prefix` against the seeded Redis. */
  mq: (args: string[], env?: NodeJS.ProcessEnv) => Promise<Run>;
  /** Runs the bin with `--json` and parses its output; throws when it does not exit 0. */
  json: <T>(args: string[]) => Promise<T>;
}

export function collect(child: ChildProcess): { stdout: string; stderr: string } {
  const out = { stdout: '', stderr: '' };
  child.stdout?.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out.stderr += d.toString()));
  return out;
}

/** A TCP port nothing listens on now (for an unreachable Redis). */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
