import { BaseRpcContext } from '@nestjs/microservices';
import type { DispatchHandlerContext } from '../../dispatcher/dispatcher';
import type { EventContext, EventEnvelope } from '../../events/event-bus';

/** Context of a `@MessagePattern` handler on the queue transport (`@Ctx() ctx: QueueTaskContext`). */
export class QueueTaskContext extends BaseRpcContext<[string, DispatchHandlerContext]> {
  getPattern(): string {
    return this.args[0];
  }

  /** attempt, signal, extendLease, progress, message, taskId, origin. */
  getHandlerContext(): DispatchHandlerContext {
    return this.args[1];
  }

  getAttempt(): number {
    return this.args[1].attempt;
  }

  /** Fires on timeout, lost lease or shutdown past the drain timeout. */
  getSignal(): AbortSignal {
    return this.args[1].signal;
  }
}

/** Context of an `@EventPattern` handler on the queue transport. */
export class QueueEventContext extends BaseRpcContext<[string, EventEnvelope, EventContext]> {
  getPattern(): string {
    return this.args[0];
  }

  /** The CloudEvents envelope (id, source, type, time, data). */
  getEvent(): EventEnvelope {
    return this.args[1];
  }

  /** channel, pattern, deliveryCount. */
  getEventContext(): EventContext {
    return this.args[2];
  }
}
