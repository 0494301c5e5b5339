import { AddressInfo, createServer, Server, Socket } from 'net';

/**
 * A TCP proxy in front of a Redis server whose existing connections can be frozen: their bytes are
 * no longer passed on either way, but both sockets stay open, so the client's kernel keeps getting
 * its segments acknowledged (by this proxy's) and nothing ever fails on them. Connections made
 * after freeze() are passed on as usual. It stands for a path that goes dead without a reset
 * reaching the client while a new connection would work: a Redis host gone (its address taken
 * over or re-resolved), a hung proxy or load balancer, a NAT that dropped the flow's state.
 */
export class FreezingProxy {
  private readonly live = new Set<{ client: Socket; upstream: Socket }>();
  private readonly frozen: Socket[] = [];
  /** Connections accepted so far. */
  accepted = 0;

  private readonly server: Server;

  private constructor(private readonly target: { host: string; port: number }) {
    this.server = createServer((client) => this.pipe(client));
  }

  static async start(target: { host: string; port: number }): Promise<FreezingProxy> {
    const proxy = new FreezingProxy(target);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Connections passing bytes now. */
  get liveCount(): number {
    return this.live.size;
  }

  /** Stops passing bytes on every connection open now; they stay open. New ones pass as usual. */
  freeze(): void {
    for (const pair of this.live) {
      pair.client.unpipe(pair.upstream);
      pair.upstream.unpipe(pair.client);
      // read nothing more from either side: the client's writes pile up in our socket buffer
      pair.client.pause();
      pair.upstream.pause();
      this.frozen.push(pair.client, pair.upstream);
    }
    this.live.clear();
  }

  async close(): Promise<void> {
    for (const pair of this.live) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    for (const socket of this.frozen) socket.destroy();
    this.live.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private pipe(client: Socket): void {
    const target = this.target;
    this.accepted++;
    const upstream = new Socket();
    const pair = { client, upstream };
    this.live.add(pair);
    const end = () => {
      if (!this.live.delete(pair)) return;
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    upstream.connect(target.port, target.host);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
