import { bulkPublish } from './bulk-publish';
import { groups } from './groups';
import { busLocal } from './bus-local';
import { busPubSubFanout } from './bus-pubsub';
import { busStreams } from './bus-streams';
import { idleCommands } from './idle-commands';
import { latencyIdle, latencyLoad } from './latency';
import { memory } from './memory';
import { priorityPreemption } from './priority-preemption';
import { processC1, processC10, processC100 } from './process';
import { rateLimit } from './rate-limit';
import { steady, steadyPriorities } from './steady';
import type { Scenario } from './scenario';

export * from './scenario';

/**
 * Every scenario, in run order (steady before latency-load, which reuses its capacity figure). The
 * event-bus scenarios come last and run for ours only (BullMQ has no event bus).
 */
export const SCENARIOS: Scenario[] = [
  bulkPublish,
  processC1,
  processC10,
  processC100,
  steady,
  steadyPriorities,
  latencyIdle,
  latencyLoad,
  priorityPreemption,
  groups,
  memory,
  idleCommands,
  rateLimit,
  busPubSubFanout,
  busStreams,
  busLocal,
];
