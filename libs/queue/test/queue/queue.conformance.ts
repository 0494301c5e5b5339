import type { QueueOptions } from '../../src';
import type { QueueBackendFixture } from './queue-fixtures';
import { forwardingBackend, uniqueName } from './queue.conformance-support';
import { describeDeliveryConformance } from './queue.delivery.conformance';
import { describeFailureConformance } from './queue.failures.conformance';
import { describeGroupConformance } from './queue.groups.conformance';
import { describeInspectionConformance } from './queue.inspection.conformance';
import { describeProgressConformance } from './queue.progress.conformance';
import { describeRateLimitConformance } from './queue.rate-limits.conformance';
import { describeResultsConformance } from './queue.results.conformance';
import { describeSchedulingConformance } from './queue.scheduling.conformance';

/**
 * The queue's semantics, run against every backend (Redis, Redis Cluster, memory), with one
 * partition or `partitions` (the fixture's number): the same tests prove the same behaviour. The
 * entry point of the suite; the tests are in one file per concern (queue.<concern>.conformance.ts):
 * groups, scheduling, failures, delivery and leases, progress, inspection, rate limits, results and errors. The exact
 * token counts of rate limits hold for one partition only (a partitioned queue splits each limit over
 * its partitions: queue-partitions.spec.ts checks that bound).
 */
export function describeQueueConformance(makeFixture: () => Promise<QueueBackendFixture>, partitions = 1): void {
  let fixture: QueueBackendFixture;
  beforeAll(async () => {
    fixture = await makeFixture();
  });
  afterAll(async () => {
    await fixture.teardown();
  });
  const make = (options: Partial<QueueOptions> = {}) => fixture.create({ name: uniqueName(), ...options });
  describeGroupConformance((options = {}) => {
    const name = options.name ?? uniqueName();
    return { ...fixture.create({ ...options, name }), name };
  }, partitions);

  const conformance = { fixture: forwardingBackend(() => fixture), make, partitions };
  describeSchedulingConformance(conformance);
  describeFailureConformance(conformance);
  describeDeliveryConformance(conformance);
  describeProgressConformance(conformance);
  describeInspectionConformance(conformance);
  describeRateLimitConformance(conformance);
  describeResultsConformance(conformance);
}
