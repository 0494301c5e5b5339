import { memoryFixture } from './queue-fixtures';
import { describeQueueConformance } from './queue.conformance';

describe('priority queue conformance: memory backend, 4 partitions', () => {
  describeQueueConformance(async () => memoryFixture(4), 4);
});
