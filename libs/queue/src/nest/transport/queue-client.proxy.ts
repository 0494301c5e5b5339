import { ClientProxy, ReadPacket, WritePacket } from '@nestjs/microservices';
import type { QueueAppConfig, QueueAppConfigInput } from '../../config/config.types';
import { loadConfig } from '../../config/config-loader';
import { NestQueueLogger } from '../nest-queue-logger';
import { RemoteTaskError } from '../../dispatcher/dispatcher-errors';
import { QueueManager } from '../../manager/queue-manager';
import type { Priority } from '../../queue/queue.types';
import { isRpcErrorReply, QueueRecord, QueueRecordOptions } from './queue-record';

/** Options of {@link QueueClientProxy}. Give `manager`, or `config` (default `loadConfig()`) for a manager the client owns. */
export interface QueueClientProxyOptions {
  manager?: QueueManager;
  config?: QueueAppConfig | QueueAppConfigInput;
  /** Default wait of `send` for its reply (default 30 000 ms). */
  timeoutMs?: number;
  /** Default priority of `send` (default: the route's, else `normal`). */
  priority?: Priority;
}

/**
 * A Nest `ClientProxy` over the messaging layer. `send(pattern, data)` dispatches task `pattern`
 * (routed by `task_dispatcher.routes`) and emits its reply; options per message with
 * {@link QueueRecord}. Errors: an RpcException thrown by the remote handler arrives as its error
 * object; a task that failed for good arrives as `{ status: 'error', message, name }`; no reply in
 * time as `{ status: 'error', message, name: 'DispatchTimeoutError' }`. `emit(pattern, data)` publishes
 * an event on channel `pattern` (event type `pattern`) on the event bus.
 */
export class QueueClientProxy extends ClientProxy {
  private manager?: QueueManager;
  private connecting?: Promise<QueueManager>;
  private readonly ownsManager: boolean;

  constructor(private readonly options: QueueClientProxyOptions = {}) {
    super();
    this.manager = options.manager;
    this.ownsManager = !options.manager;
  }

  connect(): Promise<QueueManager> {
    if (this.manager) return Promise.resolve(this.manager);
    this.connecting ??= QueueManager.create(this.options.config ?? loadConfig(), { logger: new NestQueueLogger() }).then((m) => (this.manager = m));
    return this.connecting;
  }

  async close(): Promise<void> {
    if (this.ownsManager && this.manager) await this.manager.shutdown();
  }

  unwrap<T>(): T {
    if (!this.manager) throw new Error('QueueClientProxy is not connected yet');
    return this.manager as T;
  }

  protected publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    let disposed = false;
    const { data, options } = unpack(packet.data);
    const pattern = this.normalizePattern(packet.pattern);
    void this.connect()
      .then((manager) =>
        manager.dispatcher.dispatchAndWait(pattern, data, {
          timeoutMs: options.timeoutMs ?? this.options.timeoutMs,
          taskTimeoutMs: options.taskTimeoutMs,
          priority: options.priority ?? this.options.priority,
          maxRetries: options.maxRetries,
          delayMs: options.delayMs,
        }),
      )
      .then(
        (reply) => {
          if (disposed) return;
          if (isRpcErrorReply(reply)) callback({ err: reply.$rpcError, isDisposed: true });
          else callback({ response: reply, isDisposed: true });
        },
        (error: Error) => {
          if (!disposed) callback({ err: toRpcError(error), isDisposed: true });
        },
      );
    return () => {
      disposed = true;
    };
  }

  protected async dispatchEvent<T = unknown>(packet: ReadPacket): Promise<T> {
    const manager = await this.connect();
    const pattern = this.normalizePattern(packet.pattern);
    const { data } = unpack(packet.data);
    return (await manager.events.publish(pattern, pattern, data)) as T;
  }
}

function unpack(data: unknown): { data: unknown; options: QueueRecordOptions } {
  return data instanceof QueueRecord ? { data: data.data, options: data.options } : { data, options: {} };
}

/** The error shape Nest transports deliver: `{ status: 'error', message }`, plus the remote error's name. */
function toRpcError(error: Error): { status: 'error'; message: string; name: string } {
  const name = error instanceof RemoteTaskError ? error.remoteName : error.name;
  return { status: 'error', message: error.message, name };
}
