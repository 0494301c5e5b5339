import { QueueError } from '../errors';
import type { RecordedError } from '../queue/queue.types';

/** `dispatch` was called with a task type that has no route (routing enabled). Nothing was published. */
export class UnknownRouteError extends QueueError {
  constructor(
    readonly taskType: string,
    readonly knownTypes: string[],
  ) {
    super(`no route for task type "${taskType}" (routes: ${knownTypes.join(', ') || 'none'})`, 'UNKNOWN_ROUTE');
  }
}

/** `dispatchAndWait` got no reply in time. The task may still run; it was cancelled if it had not started. */
export class DispatchTimeoutError extends QueueError {
  constructor(
    readonly taskId: string,
    readonly taskType: string,
    readonly timeoutMs: number,
    readonly cancelled: boolean,
  ) {
    super(`task ${taskId} (${taskType}) got no reply within ${timeoutMs} ms${cancelled ? '; it was cancelled before it started' : ''}`, 'DISPATCH_TIMEOUT');
  }
}

/**
 * The remote handler failed for good. `name` and `message` are the remote error's own (so a
 * caller can tell a `ValidationError` from a `TaskTimeoutError`); `instanceof RemoteTaskError` holds.
 */
export class RemoteTaskError extends QueueError {
  readonly remoteName: string;
  readonly remoteStack?: string;

  constructor(
    readonly taskId: string,
    readonly taskType: string,
    remote: RecordedError,
  ) {
    super(remote.message, 'REMOTE_TASK');
    this.remoteName = remote.name;
    this.remoteStack = remote.stack;
    this.name = remote.name;
  }
}
