import { CustomTransportStrategy, MessageHandler, Server } from '@nestjs/microservices';
import { isObservable, lastValueFrom, Observable } from 'rxjs';
import type { QueueAppConfig, QueueAppConfigInput } from '../../config/config.types';
import { loadConfig } from '../../config/config-loader';
import { NestQueueLogger } from '../nest-queue-logger';
import type { DispatchHandlerContext } from '../../dispatcher/dispatcher';
import type { EventContext, EventEnvelope } from '../../events/event-bus';
import { QueueError } from '../../errors';
import { QueueManager } from '../../manager/queue-manager';
import { QueueEventContext, QueueTaskContext } from './queue-contexts';
import { RpcErrorReply } from './queue-record';
import { QUEUE_FIELDS } from '../../queue/queue-options';
import { checkOption, checkQueueName, knownKeys, timerMsField } from '../../util/fields';
import { checkManagerAndConfig, optionsObject } from './transport-options';

/** Options of {@link QueueTransportServer}. Give `manager`, or `config` (default `loadConfig()`) for a manager the server owns. */
export interface QueueTransportServerOptions {
  manager?: QueueManager;
  config?: QueueAppConfig | QueueAppConfigInput;
  /** Queue consumed by `@MessagePattern` handlers (default `message_queue.queue_name`). */
  queue?: string;
  /** Handlers per pattern running at once (default: the queue's `workers`). */
  concurrency?: number;
  /** Drain time when the server closes and owns the manager (default 10 000 ms). */
  drainTimeoutMs?: number;
}

const SERVER_OPTION_KEYS = knownKeys<QueueTransportServerOptions>({ manager: true, config: true, queue: true, concurrency: true, drainTimeoutMs: true });

/**
 * Checks the options of {@link QueueTransportServer}: known keys, `queue` a queue name,
 * `concurrency` a queue's concurrency, `drainTimeoutMs` a timer's ms. Throws QueueConfigError at
 * `queueTransport.<key>`.
 */
function checkServerOptions(options: unknown): QueueTransportServerOptions {
  const checked = optionsObject(options, SERVER_OPTION_KEYS, 'queueTransport');
  checkManagerAndConfig(checked, 'queueTransport');
  if (checked.queue !== undefined) checkQueueName(checked.queue, 'queueTransport.queue');
  checkOption(QUEUE_FIELDS.concurrency().optional(), checked.concurrency, 'queueTransport.concurrency');
  checkOption(timerMsField(0).optional(), checked.drainTimeoutMs, 'queueTransport.drainTimeoutMs');
  return checked;
}

/** The answer Nest's default RPC exception filter gives for anything that is not an RpcException. */
const UNKNOWN_ERROR = 'Internal server error';

/** A handler failed with something other than an RpcException: the attempt fails and the queue retries it. */
export class RpcHandlerError extends QueueError {
  constructor(
    readonly pattern: string,
    readonly error: unknown,
  ) {
    super(`handler of "${pattern}" failed: ${describe(error)}`, 'RPC_HANDLER_FAILED');
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string')
    return (error as { message: string }).message;
  return String(error);
}

/**
 * A Nest microservices transport over the messaging layer:
 * - `@MessagePattern('speech_recognition')` handlers consume tasks of that type from the priority
 *   queue (through the dispatcher, so request/reply and status work); the message is acknowledged
 *   after the handler's Promise or Observable completes (its last value is the reply). A thrown
 *   `RpcException` is a deliberate answer: acknowledged, not retried, and its error reaches the
 *   caller. Any other error fails the attempt: the queue retries it with backoff, then dead-letters
 *   it, and the caller then gets `{ status: 'error', message }`.
 * - `@EventPattern('meeting.*')` handlers subscribe to that channel or glob on the event bus.
 */
export class QueueTransportServer extends Server implements CustomTransportStrategy {
  private manager?: QueueManager;
  private readonly ownsManager: boolean;

  private readonly options: QueueTransportServerOptions;

  /** @throws QueueConfigError at `queueTransport.<key>` for an unknown option or a bad value (`concurrency`, `drainTimeoutMs`, `queue`, ...). */
  constructor(options?: QueueTransportServerOptions) {
    super();
    this.options = checkServerOptions(options);
    this.manager = this.options.manager;
    this.ownsManager = !this.options.manager;
  }

  /** Registers every pattern with the manager and starts it. */
  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      const manager = (this.manager ??= await QueueManager.create(this.options.config ?? loadConfig(), { logger: new NestQueueLogger() }));
      const subscriptions: Promise<void>[] = [];
      for (const [pattern, handler] of this.messageHandlers) {
        if (handler.isEventHandler) {
          subscriptions.push(manager.subscribe(pattern, (event: EventEnvelope, context: EventContext) => this.runEvent(pattern, handler, event, context)));
        } else {
          manager.registerTaskHandler(pattern, (payload, context) => this.runTask(pattern, handler, payload, context), {
            queue: this.options.queue,
            concurrency: this.options.concurrency,
          });
        }
      }
      await manager.start();
      await Promise.all(subscriptions);
      callback();
    } catch (error) {
      callback(error);
    }
  }

  /** Shuts the manager down when the server created it (otherwise its owner does). */
  async close(): Promise<void> {
    if (this.ownsManager && this.manager) await this.manager.shutdown({ drainTimeoutMs: this.options.drainTimeoutMs });
  }

  on(): void {
    // status events: none beyond the manager's own logs
  }

  /** The QueueManager. */
  unwrap<T>(): T {
    if (!this.manager) throw new Error('QueueTransportServer is not listening yet');
    return this.manager as T;
  }

  private async runTask(pattern: string, handler: MessageHandler, payload: unknown, context: DispatchHandlerContext): Promise<unknown> {
    try {
      return await lastOf(await handler(payload, new QueueTaskContext([pattern, context])));
    } catch (error) {
      if (isFilteredUnknownError(error)) throw new RpcHandlerError(pattern, error);
      if (error instanceof Error) throw error;
      // An RpcException, as Nest's exception filter serialised it: the caller gets it as the error.
      return { $rpcError: error } satisfies RpcErrorReply;
    }
  }

  private async runEvent(pattern: string, handler: MessageHandler, event: EventEnvelope, context: EventContext): Promise<void> {
    await lastOf(await handler(event.data, new QueueEventContext([pattern, event, context])));
  }
}

async function lastOf(result: unknown): Promise<unknown> {
  if (isObservable(result)) return lastValueFrom(result as Observable<unknown>, { defaultValue: undefined });
  return result;
}

function isFilteredUnknownError(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { status?: unknown }).status === 'error' &&
    (error as { message?: unknown }).message === UNKNOWN_ERROR &&
    Object.keys(error).length === 2
  );
}
