/**
 * What a client leaves behind once disconnected: no timer pending much past its disconnectTimeout
 * (200 ms). Each such timer keeps the process (a Jest worker, a CLI) alive until it fires.
 */
import { createHook } from 'async_hooks';
import type Redis from 'ioredis';
import { createServer, Server, Socket } from 'net';
import type { AddressInfo } from 'net';
import { freePort, RedisServerHandle, spawnRedis, waitFor, quietLogger } from '../testing';
import { createRedisClient, duplicateClient } from './redis-connection';

/**
 * A server that speaks just enough RESP to say it is still loading its data set: INFO answers
 * `loading:1` with an ETA of 5 s, every other command +OK. Counts the INFO commands it answered.
 */
async function loadingServer(): Promise<{ server: Server; port: number; infos: () => number; sockets: Set<Socket> }> {
  let infos = 0;
  const sockets = new Set<Socket>();
  const info = '# Persistence\r\nloading:1\r\nloading_eta_seconds:5\r\n';
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1');
      // each command is an array of bulk strings: *<n>\r\n then n times $<len>\r\n<bytes>\r\n
      for (;;) {
        const command = /^\*(\d+)\r\n/.exec(buffered);
        if (!command) return;
        let at = command[0].length;
        const words: string[] = [];
        for (let i = 0; i < Number(command[1]); i++) {
          const head = /^\$(\d+)\r\n/.exec(buffered.slice(at));
          if (!head || buffered.length < at + head[0].length + Number(head[1]) + 2) return; // incomplete
          words.push(buffered.substr(at + head[0].length, Number(head[1])));
          at += head[0].length + Number(head[1]) + 2;
        }
        buffered = buffered.slice(at);
        if (words[0]?.toLowerCase() === 'info') {
          infos++;
          socket.write(`$${Buffer.byteLength(info)}\r\n${info}\r\n`);
        } else socket.write('+OK\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, infos: () => infos, sockets };
}

/** The timers created until `freeze()` that have neither fired nor been cleared yet. */
function pendingTimers(): { ids: Set<number>; freeze(): void; stop(): void } {
  const ids = new Set<number>();
  let frozen = false;
  const hook = createHook({
    init: (id, type) => {
      if (type === 'Timeout' && !frozen) ids.add(id);
    },
    destroy: (id) => ids.delete(id),
  });
  hook.enable();
  return { ids, freeze: () => (frozen = true), stop: () => hook.disable() };
}

/** Disconnects `client`, then waits until every timer made so far fired or was cleared (at most 1.5 s). */
async function disconnectLeavingNoTimer(client: { disconnect(): void }, timers: ReturnType<typeof pendingTimers>): Promise<void> {
  client.disconnect();
  timers.freeze();
  await waitFor(() => timers.ids.size === 0, 'every timer the client armed to fire or be cleared', 1500);
}

describe('a client of a Redis that is loading its data set', () => {
  it('keeps asking while Redis loads, and leaves no timer pending much past 200 ms after disconnect', async () => {
    // ioredis waits for the load's ETA (here 5 s) before it asks again, on a timer disconnect()
    // does not clear: it kept a closed client's process (a Jest worker, a CLI) alive that long.
    const fake = await loadingServer();
    const timers = pendingTimers();
    const client = createRedisClient({ host: '127.0.0.1', port: fake.port, logger: quietLogger });
    try {
      await waitFor(() => fake.infos() >= 2, 'the ready check asked twice');
      expect(client.status).not.toBe('ready');
      await disconnectLeavingNoTimer(client, timers);
    } finally {
      client.disconnect();
      timers.stop();
      for (const socket of fake.sockets) socket.destroy();
      await new Promise((resolve) => fake.server.close(resolve));
    }
  });
});

describe('a client through Sentinels', () => {
  it('leaves no timer pending much past its disconnectTimeout (200 ms) when the Sentinel refused it', async () => {
    // ioredis opens a short-lived client per Sentinel to ask for the master; it disconnects it with a
    // fallback timer that only the socket's 'close' clears. A refused socket has closed already, so
    // the timer runs out: 2 s with ioredis' default, which kept Jest workers (and CLIs) alive.
    const port = await freePort(); // nothing listens there
    const timers = pendingTimers();
    const client = createRedisClient({ sentinels: [{ host: '127.0.0.1', port }], sentinelName: 'nowhere', logger: quietLogger });
    try {
      let rounds = 0;
      client.on('error', (error: Error) => void (/All sentinels are unreachable/.test(error.message) && rounds++));
      await waitFor(() => rounds >= 2, 'two rounds of asking the Sentinel');
      await disconnectLeavingNoTimer(client, timers);
    } finally {
      client.disconnect();
      timers.stop();
    }
  });
});

describe('a subscriber connection of a Redis that is down', () => {
  it("leaves no timer pending after it is disconnected while it waits to reconnect (no 'end' comes then)", async () => {
    // its PING timer (subscriber-check.ts) was cleared only at 'end': disconnected while
    // reconnecting, it ran on, every socket timeout, holding the closed connection
    const port = await freePort(); // nothing listens there
    const timers = pendingTimers();
    const client = createRedisClient({ url: `redis://127.0.0.1:${port}`, logger: quietLogger });
    const subscriber = duplicateClient(client, { subscriber: true });
    try {
      await waitFor(() => subscriber.status === 'reconnecting', 'the subscriber to wait to reconnect');
      client.disconnect();
      await disconnectLeavingNoTimer(subscriber, timers);
    } finally {
      client.disconnect();
      subscriber.disconnect();
      timers.stop();
    }
  });
});

describe("a connection's socket-timeout timer", () => {
  let server: RedisServerHandle;
  beforeAll(async () => {
    server = await spawnRedis();
  });
  afterAll(() => server?.cleanup());

  /** Resolves once the server has `count` clients blocked in a command. */
  const blockedClients = (admin: Redis, count: number) =>
    waitFor(async () => /blocked_clients:(\d+)/.exec(await admin.info('clients'))?.[1] === String(count), `${count} client(s) blocked in Redis`);

  it('is cleared with a blocking connection closed while its command waits (it kept the process alive for block time + socket timeout)', async () => {
    const admin = server.client();
    const timers = pendingTimers();
    const client = createRedisClient({ url: server.url, logger: quietLogger });
    const blocking = duplicateClient(client, { blocksUpToMs: 30_000 });
    try {
      const waiting = blocking.blpop('nothing-here', 30).catch(() => undefined);
      await blockedClients(admin, 1);
      client.disconnect();
      await disconnectLeavingNoTimer(blocking, timers);
      await waiting;
    } finally {
      client.disconnect();
      blocking.disconnect();
      timers.stop();
      admin.disconnect();
    }
  });

  it('armed for a socket that closed with a reply owed does not outlive it (it cut off the next, healthy socket)', async () => {
    const admin = server.client();
    const client = createRedisClient({ url: server.url, socketTimeoutMs: 10_000, logger: quietLogger }) as Redis;
    let closes = 0;
    client.on('close', () => closes++);
    const timers = pendingTimers();
    try {
      await client.ping();
      const reply = client.blpop('still-nothing', 0.2);
      await blockedClients(admin, 1);
      await admin.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
      // ioredis reconnects and sends the BLPOP again; its reply comes on the new socket
      await expect(reply).resolves.toBeNull();
      expect(closes).toBe(1);
      timers.freeze();
      // nothing is owed now: no socket-timeout timer may be pending (the old socket's ran 10 s on,
      // then destroyed the new socket)
      await waitFor(() => timers.ids.size === 0, 'every timer armed meanwhile to fire or be cleared', 1500);
    } finally {
      client.disconnect();
      timers.stop();
      admin.disconnect();
    }
  });
});
