import { fnv1a } from './key-slot';

/**
 * The partition (0..partitions-1) of a key: FNV-1a 32-bit of its UTF-16 code units (`fnv1a`, the
 * hash partitioned queues use too), modulo the count. Stable across processes and versions, so every
 * producer sends one key to one partition.
 */
export function partitionOf(key: string, partitions: number): number {
  return partitions <= 1 ? 0 : fnv1a(key) % partitions;
}
