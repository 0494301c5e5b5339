import { BullmqSystem } from './bullmq';
import { OursSystem } from './ours';
import type { BenchSystem, SystemFactoryOptions, SystemKind } from './system';

export * from './system';

export function openSystem(kind: SystemKind, options: SystemFactoryOptions): BenchSystem {
  if (kind === 'bullmq') return new BullmqSystem(options);
  return new OursSystem(options, kind === 'ours-r0');
}
