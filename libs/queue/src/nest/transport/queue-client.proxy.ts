import { ClientProxy, ReadPacket, WritePacket } from '@nestjs/microservices';
import type { QueueAppConfig, QueueAppConfigInput } from '../../config/config.types';
import { loadConfig } from '../../config/config-loader';
import { NestQueueLogger } from '../nest-queue-logger';
import { RemoteTaskError } from '../../dispatcher/dispatcher-errors';
import { QueueManager } from '../../manager/queue-manager';
import type { Priority } from '../../queue/queue.types';
import { InvalidOptionError } from '../../errors';
import { isRpcErrorReply, QueueRecord, QueueRecordOptions } from './queue-record';
import { PRIORITIES } from '../../queue/queue.types';
import { checkOption, enumField, knownKeys, timerMsField } from '../../util/fields';
import { checkManagerAndConfig, optionsObject } from './transport-options';

/** Options of {@link QueueClientProxy}. Give `manager`, or `config` (default `loadConfig()`) for a manager the client owns. */
export interface QueueClientProxyOptions {
  manager?: QueueManager;
  config?: QueueAppConfig | QueueAppConfigInput;
  /** Default wait of `send` for its reply (default 30 000 ms). */
  timeoutMs?: number;
  /** Default priority of `send` (default: the route's, else `normal`). */
  priority?: Priority;
}

const CLIENT_OPTION_KEYS = knownKeys<QueueClientProxyOptions>({ manager: true, config: true, timeoutMs: true, priority: true });

/**
 * Checks the options of {@link QueueClientProxy}: known keys, `timeoutMs` a timer's ms (>= 1),
 * `priority` one of the priorities. Throws QueueConfigError at `queueClient.<key>`.
 */
function checkClientOptions(options: unknown): QueueClientProxyOptions {
  const checked = optionsObject(options, CLIENT_OPTION_KEYS, 'queueClient');
  checkManagerAndConfig(checked, 'queueClient');
  checkOption(timerMsField(1).optional(), checked.timeoutMs, 'queueClient.timeoutMs');
  checkOption(enumField(PRIORITIES).optional(), checked.priority, 'queueClient.priority');
  return checked;
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

  private readonly options: QueueClientProxyOptions;

  /** @throws QueueConfigError at `queueClient.<key>` for an unknown option or a bad value (`timeoutMs`, `priority`, `manager`, `config`). */
  constructor(options?: QueueClientProxyOptions) {
    super();
    this.options = checkClientOptions(options);
    this.manager = this.options.manager;
    this.ownsManager = !this.options.manager;
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
          ...options,
          timeoutMs: options.timeoutMs ?? this.options.timeoutMs,
          priority: options.priority ?? this.options.priority,
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
    const { data, options } = unpack(packet.data);
    refuseEventOptions(options);
    return (await manager.events.publish(pattern, pattern, data)) as T;
  }
}

/** The data and options of a packet: a {@link QueueRecord}'s, or the packet's data without options. */
function unpack(data: unknown): { data: unknown; options: QueueRecordOptions } {
  return data instanceof QueueRecord ? { data: data.data, options: data.options } : { data, options: {} };
}

/** `emit` publishes an event, which carries only its data: a record's options would be lost, so they are refused. */
function refuseEventOptions(options: QueueRecordOptions): void {
  const given = Object.keys(options).filter((key) => options[key as keyof QueueRecordOptions] !== undefined);
  if (given.length > 0)
    throw new InvalidOptionError(`emit.options.${given[0]}`, given[0], 'no options: an event carries only its data (QueueRecord options steer `send`)');
}

/** The error shape Nest transports deliver: `{ status: 'error', message }`, plus the remote error's name. */
function toRpcError(error: Error): { status: 'error'; message: string; name: string } {
  const name = error instanceof RemoteTaskError ? error.remoteName : error.name;
  return { status: 'error', message: error.message, name };
}
