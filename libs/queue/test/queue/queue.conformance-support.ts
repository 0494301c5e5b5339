/*
 * What the files of the queue conformance suite (queue.conformance.ts and the
 * queue.<concern>.conformance.ts files it runs) share.
 */
import type { QueueOptions } from '../../src';
import type { DeliveryRef } from '../../src/queue/queue-store';
import type { QueueBackendFixture } from './queue-fixtures';

let counter = 0;
/** A queue name no other test of this process uses (fixtures share storage by name). */
export const uniqueName = () => `q${process.pid}x${++counter}`;
export const refOf = ({ id, attempt, lease }: DeliveryRef): DeliveryRef => ({ id, attempt, lease });
/** The result record of a completion (`Completion.record`), without its creation time. */
export const record = (type: string, result: unknown, attempt: number) => JSON.stringify({ r: result, f: Date.now(), t: type, a: attempt });

/** The part of the backend fixture the tests use (teardown stays with the entry point). */
export type ConformanceBackend = Pick<QueueBackendFixture, 'create' | 'injectGarbage' | 'loseData'>;

/** What {@link describeQueueConformance} gives each concern's `describe…Conformance`. */
export interface Conformance {
  /** The backend under test, usable inside tests (it is made in `beforeAll`). */
  readonly fixture: ConformanceBackend;
  /** A queue of a new name (options as given). */
  readonly make: (options?: Partial<QueueOptions>) => ReturnType<QueueBackendFixture['create']>;
  /** Partitions of every queue the fixture makes. */
  readonly partitions: number;
}

/**
 * A backend that forwards each call to `current()`: the tests are declared before `beforeAll`
 * makes the fixture, and call it only when they run.
 */
export function forwardingBackend(current: () => QueueBackendFixture): ConformanceBackend {
  return {
    create: (options) => current().create(options),
    injectGarbage: (queueName, kind) => current().injectGarbage(queueName, kind),
    loseData: (queueName) => current().loseData(queueName),
  };
}
