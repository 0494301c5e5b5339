/**
 * The partition (0..partitions-1) of a key: FNV-1a 32-bit of its UTF-16 code units, modulo the
 * count. Stable across processes and versions, so every producer sends one key to one partition.
 */
export function partitionOf(key: string, partitions: number): number {
  if (partitions <= 1) return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % partitions;
}
