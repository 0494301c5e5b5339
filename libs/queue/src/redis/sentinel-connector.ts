import type Redis from 'ioredis';
import { SentinelConnector } from 'ioredis';
import type { RedisOptions, SentinelAddress, SentinelConnectionOptions } from 'ioredis';

/** What ioredis passes a connector: the client's own options (with its `disconnectTimeout`). */
type ClientOptions = SentinelConnectionOptions & Pick<RedisOptions, 'disconnectTimeout'>;

/** The private method of ioredis' SentinelConnector that opens a client to one Sentinel. */
type ConnectToSentinel = (endpoint: Partial<SentinelAddress>, options?: RedisOptions) => Redis;

/**
 * ioredis' Sentinel connector (given as the client's `Connector` option), except that the clients it
 * opens to Sentinels (short-lived ones asking where the master is, and the failover detector's
 * subscribers) get the client's own `disconnectTimeout` and an error listener.
 * ioredis opens them with its default (2 s): disconnecting one whose socket had already closed (a
 * Sentinel refusing the connection or failing the TLS handshake) leaves that timer pending, which
 * keeps a process (a CLI, a Jest worker) alive 2 s after every connection was closed.
 * (ioredis sets `emitter` only on the connector it makes itself; it serves only its failover
 * detector's test events, off by default.)
 */
export class QuickClosingSentinelConnector extends SentinelConnector {
  /** `options`: the client's options, as ioredis passes them to the `Connector` it was given. */
  constructor(options: unknown) {
    const own = options as ClientOptions;
    super(own);
    const connector = this as unknown as { connectToSentinel?: ConnectToSentinel };
    const connect = connector.connectToSentinel?.bind(this);
    const disconnectTimeout = own.disconnectTimeout;
    // (an ioredis without this method keeps its default; client-timers.spec.ts then fails)
    if (connect && disconnectTimeout !== undefined) {
      connector.connectToSentinel = (endpoint, extra) => {
        const client = connect(endpoint, { disconnectTimeout, ...extra });
        // the failover detector's clients (subscribed to +switch-master) get no error listener from
        // ioredis: a Sentinel that is down would print "[ioredis] Unhandled error event" at each of
        // their reconnection attempts. What matters, the master connection, has the outage log.
        client.on('error', () => undefined);
        return client;
      };
    }
  }
}
