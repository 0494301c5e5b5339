/**
 * mq.e2e.spec.ts, events: `events tail` following a stream (then `groups` showing the consumer group
 * and its pending entry) and `events channels` listing pub/sub channels (`--sample` counting their
 * messages), each against a live event bus and the bin as a long-running child process.
 */
import { spawn } from 'child_process';
import { createEventBus } from '@meeting/queue';
import { waitFor } from '@meeting/queue/testing';
import { BIN, collect, MqE2e, ROOT } from './mq-e2e-context';

/** Registers the `events tail` / `groups` test in the calling describe. */
export function eventsTailScenario(e2e: () => MqE2e): void {
  it('events tail follows a stream; groups shows the consumer group with pending', async () => {
    const { server, client, prefix, closeLater, json } = e2e();
    const bus = createEventBus({ type: 'redis_stream', client, prefix: `${prefix}:ev`, serviceName: 'billing', consumerName: 'b1' });
    closeLater.push(bus);
    await bus.subscribe('invoices', async () => new Promise(() => undefined)); // never acknowledges
    const tail = spawn(process.execPath, [BIN, '--prefix', prefix, '--json', 'events', 'tail', 'invoices', '--mode', 'stream', '--count', '1'], {
      cwd: ROOT,
      env: { ...process.env, REDIS_URL: server.url },
    });
    const out = collect(tail);
    await waitFor(() => out.stderr.includes('tailing stream invoices'), 'the tail is live', 30_000);
    await bus.publish('invoices', 'invoice.paid', { amount: 5 });
    let code: number | null | undefined;
    tail.on('exit', (c) => (code = c));
    try {
      await waitFor(() => code !== undefined, 'the tail to exit after one event', 30_000);
    } finally {
      if (code === undefined) tail.kill();
    }
    expect(code).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ channel: 'invoices', event: { type: 'invoice.paid', data: { amount: 5 } } });
    const groups = await waitFor(
      async () => {
        const g = await json<{ groups: Array<{ group: string; pending: number }> }>(['groups']);
        return g.groups.length === 1 && g.groups[0].pending === 1 && g.groups;
      },
      'one pending entry',
      30_000,
      200,
    );
    expect(groups[0]).toMatchObject({ channel: 'invoices', group: 'billing', length: 1, consumers: [expect.objectContaining({ name: 'b1', pending: 1 })] });
  });
}

/** Registers the `events channels` test in the calling describe. */
export function eventsChannelsScenario(e2e: () => MqE2e): void {
  it('events channels lists pub/sub channels with subscribers; --sample counts their messages', async () => {
    const { server, client, prefix, closeLater, json } = e2e();
    const bus = createEventBus({ type: 'redis_pubsub', client, prefix: `${prefix}:ev`, serviceName: 'chat' });
    closeLater.push(bus);
    await bus.subscribe('chat.room', async () => undefined);
    const listed = await json<{ samplingSince: number | null; channels: unknown[] }>(['events', 'channels']);
    expect(listed).toMatchObject({ samplingSince: null, channels: [{ channel: 'chat.room', subscribers: 1, published: null, ratePerSec: null }] });
    const sample = spawn(process.execPath, [BIN, '--prefix', prefix, '--json', 'events', 'channels', '--sample', '2'], {
      cwd: ROOT,
      env: { ...process.env, REDIS_URL: server.url },
    });
    const out = collect(sample);
    let code: number | null | undefined;
    sample.on('exit', (c) => (code = c));
    try {
      // publish until the sampler has exited (it listens 2 s from when it is connected)
      await waitFor(
        async () => {
          await bus.publish('chat.room', 'chat.said', {});
          return code !== undefined;
        },
        'the sample to finish',
        60_000,
        100,
      );
    } finally {
      if (code === undefined) sample.kill();
    }
    expect(code).toBe(0);
    const sampled = JSON.parse(out.stdout) as { samplingSince: number; channels: Array<{ channel: string; published: number; ratePerSec: number }> };
    expect(sampled.samplingSince).toBeGreaterThan(0);
    expect(sampled.channels[0]).toMatchObject({ channel: 'chat.room', subscribers: 1 });
    expect(sampled.channels[0].published).toBeGreaterThan(0);
    expect(sampled.channels[0].ratePerSec).toBeGreaterThan(0);
  });
}
