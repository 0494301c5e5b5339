import type { RedisClient } from '../redis/redis-connection';
import { within } from '../util/retry';

/** What one scrape-time PING of a connection found. */
export interface RedisProbeResult {
  /** The connection is `ready` and a PING was answered (PONG) within the probe's bound. */
  up: boolean;
  /**
   * Round trip of the PING answered within the probe's bound, in seconds (from when that PING was
   * sent: an earlier probe's PING answered now took that long); undefined when none was answered.
   */
  pingSeconds?: number;
  /** Seconds since the connection last answered a PING (since its first probe when it never has). */
  lastReplyAgeSeconds: number;
}

/** The probe's record of one connection. */
interface PingState {
  /** When the connection was first probed (ms, monotonic). */
  readonly since: number;
  /** When a PING was last answered with PONG (ms, monotonic). */
  lastReplyAt?: number;
  /** The PING still waiting for its reply: resolves with the time of the PONG. */
  pending?: { sentAt: number; reply: Promise<number> };
}

/**
 * Scrape-time liveness of Redis connections: a PING on each, its reply awaited at most `boundMs`.
 * A connection's `status` alone says nothing about a Redis that is connected but does not answer
 * (a stopped process, a paused VM, a long script): the PING does. One PING at a time per
 * connection: while one is unanswered the next probes wait for it instead of sending another, so
 * a stalled Redis holds one PING per connection, not one per scrape.
 */
export class RedisPingProbe {
  private readonly states = new WeakMap<RedisClient, PingState>();

  /** PINGs `client` (or waits for its unanswered PING) for at most `boundMs`; never rejects. */
  async probe(client: RedisClient, boundMs: number): Promise<RedisProbeResult> {
    const state = this.stateOf(client);
    const pending = state.pending ?? this.ping(client, state);
    let answeredAt: number | undefined;
    try {
      answeredAt = await within(pending.reply, boundMs, 'PING');
    } catch {
      // unanswered within the bound, or an error reply (BUSY, LOADING, connection closed): not up
    }
    const now = performance.now();
    return {
      up: answeredAt !== undefined && client.status === 'ready',
      ...(answeredAt !== undefined ? { pingSeconds: (answeredAt - pending.sentAt) / 1000 } : {}),
      lastReplyAgeSeconds: Math.max(0, now - (state.lastReplyAt ?? state.since)) / 1000,
    };
  }

  private stateOf(client: RedisClient): PingState {
    let state = this.states.get(client);
    if (!state) {
      state = { since: performance.now() };
      this.states.set(client, state);
    }
    return state;
  }

  /** Sends a PING and records it as the pending one until it settles. */
  private ping(client: RedisClient, state: PingState): NonNullable<PingState['pending']> {
    const pending = {
      sentAt: performance.now(),
      reply: client.ping().then(() => (state.lastReplyAt = performance.now())),
    };
    state.pending = pending;
    const settled = () => {
      if (state.pending === pending) state.pending = undefined;
    };
    pending.reply.then(settled, settled);
    return pending;
  }
}
