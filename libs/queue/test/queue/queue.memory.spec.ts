import { memoryFixture } from './queue-fixtures';
import { describeQueueConformance } from './queue.conformance';

describe('priority queue conformance: memory backend', () => {
  describeQueueConformance(async () => memoryFixture());
});
