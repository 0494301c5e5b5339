/**
 * The service both password-rotation specs run (single Redis: redis-refusal-at-run-time.spec.ts,
 * Cluster: redis-refusal-cluster.spec.ts): a task handler and an event subscriber, the calls that
 * must reject while the server refuses, and the wait for it to accept again.
 */
import type { QueueAdmin, QueueManager } from '../../src';
import { rejectionWithin, resolvesWithin, waitFor } from '../support/wait';

/** What the started service has handled: task payloads `n` and event ids, in arrival order. */
export interface EchoService {
  done: number[];
  received: string[];
}

/**
 * Registers task 'echo' and a 'meeting.started' subscriber, starts the manager, and waits until
 * one task (n 1) and one event (id m0) went through.
 */
export async function startEchoService(manager: QueueManager): Promise<EchoService> {
  const service: EchoService = { done: [], received: [] };
  manager.registerTaskHandler('echo', (payload: { n: number }) => void service.done.push(payload.n));
  void manager.subscribe('meeting.started', (event) => void service.received.push(String((event.data as { id: string }).id)));
  await manager.start();
  await manager.queue().publish({ type: 'echo', payload: { n: 1 } });
  await manager.publishEvent('meeting.started', 'meeting.started', { id: 'm0' });
  await waitFor(() => service.done.includes(1) && service.received.includes('m0'), 'the first task and event');
  return service;
}

/** What publish, publishBatch, publishEvent, stats and an admin read reject with (each within 5 s, one after the other). */
export async function refusedCalls(manager: QueueManager, admin: QueueAdmin): Promise<unknown[]> {
  return [
    await rejectionWithin(manager.queue().publish({ type: 'echo', payload: { n: 2 } })),
    await rejectionWithin(manager.queue().publishBatch([{ type: 'echo', payload: { n: 2 } }])),
    await rejectionWithin(manager.publishEvent('meeting.started', 'meeting.started', { id: 'm1' })),
    await rejectionWithin(manager.queue().stats()),
    await rejectionWithin(admin.info(manager.config.message_queue.queue_name)),
  ];
}

/** Waits until the manager's queue accepts a publish of task `n` again (each try bounded at 5 s). */
export async function publishAcceptedAgain(manager: QueueManager, n: number, timeoutMs?: number): Promise<void> {
  await waitFor(() => resolvesWithin(manager.queue().publish({ type: 'echo', payload: { n } })), 'a publish accepted again', timeoutMs);
}
