import { activeTraceCarrier } from '../tracing/trace-context';
import { LeaseLostError, NonRetryableError, QueueClosedError } from '../errors';
import type { QueueLogger } from '../logger';
import { ProgressThrottle, progressJson } from '../queue/progress-reporter';
import type { HandlerContext, QueueMessage } from '../queue/queue.types';
import { untilAborted } from '../util/abort';
import { isNonRetryable, recordError } from '../util/error-record';
import { retryBriefly } from '../util/retry';
import type { TaskEnvelope } from './dispatch-prepare';
import type { DispatcherStore } from './dispatcher-store';

/**
 * The handler side of a dispatched task: runs the handler, passes its progress to the origin when
 * the origin asked for it, and writes its final outcome to the origin (results entry, reply).
 */
export class TaskRunner {
  constructor(
    private readonly store: DispatcherStore,
    private readonly logger: QueueLogger,
  ) {}

  /**
   * `ctx.progress` of a dispatched task whose origin asked for progress: the queue records it (and
   * checks the value) as for any handler, and the value goes to the origin too, throttled the same
   * way (at most one write per 100 ms, the newest value). Nothing is passed on once the delivery's
   * signal fired (lease lost, timeout) nor after the handler returned (`stop`).
   */
  progressForwarder(
    message: QueueMessage,
    env: TaskEnvelope,
    taskId: string,
    ctx: HandlerContext,
  ): { progress: (value: unknown) => Promise<void>; stop: () => void } {
    const g = env.g ?? 0;
    const throttle = new ProgressThrottle(async (valueJson) => {
      if (ctx.signal.aborted) return;
      try {
        await this.store.progress({
          origin: env.o,
          taskId,
          type: message.type,
          valueJson,
          attempt: message.attempt,
          toResults: (g & 1) !== 0,
          replyTo: (g & 2) !== 0 ? env.r : undefined,
        });
      } catch (error) {
        this.logger.warn(`progress of task ${taskId} could not be passed to ${env.o}: ${(error as Error).message}`);
      }
    });
    return {
      progress: (value: unknown) => {
        const stored = ctx.progress(value); // checks the value (throws) and records it in the queue
        return Promise.all([stored, throttle.report(progressJson(value))]).then(() => undefined);
      },
      stop: () => throttle.stop(),
    };
  }

  /**
   * Runs a dispatched task's handler and writes its final outcome to the origin (results entry,
   * reply). The dispatcher has no timer of its own: the queue's run has the one time limit, and
   * its AbortSignal (timeout) ends the attempt here too, even when the handler ignores it.
   */
  async runTracked(
    message: QueueMessage,
    env: TaskEnvelope,
    taskId: string,
    run: () => unknown,
    signal: AbortSignal,
    stopProgress?: () => void,
  ): Promise<unknown> {
    // the handler's span (the queue's consumer span) becomes the parent of the origin's callback span
    const base = { origin: env.o, taskId, type: message.type, attempts: message.attempt, replyTo: env.r, webhookUrl: env.h, ...activeTraceCarrier() };
    let result: unknown;
    let resultJson: string;
    try {
      try {
        result = await untilAborted(Promise.resolve().then(run), signal);
      } finally {
        stopProgress?.(); // no progress report after the attempt ended (the outcome follows)
      }
      resultJson = resultToJson(result, taskId, message.type);
    } catch (error) {
      if (error instanceof LeaseLostError || error instanceof QueueClosedError) throw error; // delivered again: not an outcome
      const final = isNonRetryable(error) || message.attempt > message.maxRetries;
      if (final) await retryBriefly(() => this.store.finish({ ...base, ok: false, valueJson: JSON.stringify(recordError(error, { stack: false })) }));
      throw error;
    }
    await retryBriefly(() => this.store.finish({ ...base, ok: true, valueJson: resultJson }));
    return result;
  }
}

/**
 * The JSON of a handler's result. A result JSON cannot hold (a BigInt, a circular object) fails the
 * task at once with {@link NonRetryableError} naming the task (running it again gives the same
 * result): the origin gets it as the failure, the message is dead-lettered with the reason.
 */
function resultToJson(result: unknown, taskId: string, type: string): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(result === undefined ? null : result);
  } catch (error) {
    throw new NonRetryableError(`result of task ${taskId} (${type}) is not JSON-serialisable: ${(error as Error).message.split('\n')[0]}`);
  }
  if (json === undefined) throw new NonRetryableError(`result of task ${taskId} (${type}) is not JSON-serialisable (${typeof result})`);
  return json;
}
