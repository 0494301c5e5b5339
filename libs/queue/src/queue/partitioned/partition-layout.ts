import { randomInt } from 'crypto';
import { CLUSTER_SLOTS, crc16, fnv1a } from '../../util/key-slot';

/**
 * Where the partitions of a partitioned queue live (docs/architecture.md, "Partitioned queues").
 *
 * A queue of `partitions: 1` keeps the hash tag `{name}` (the layout of every queue before
 * partitions existed). Partition p of N (N > 1) has the tag `{name~<p>of<N>.<j>}`: `~` cannot occur
 * in a queue name, so no other queue shares it, and `j` is the first integer that puts the tag's
 * slot in the middle half of the p-th of N equal stretches of the 16384 slots. A Cluster whose
 * masters own equal consecutive ranges of slots (what `redis-cli --cluster create` makes) therefore
 * has each partition on its own master when N <= masters, and (2 to 4 masters) uses every master
 * when N >= masters: partitions 4 on 3 masters puts 1, 2 and 1 partitions on them.
 *
 * The message id names its partition: `<uniqueId>~<p>of<N>`, so status, cancel and every step of a
 * delivery go straight to the partition, from any process.
 */
export const MAX_PARTITIONS = 64;

/** The hash tag (text inside `{}`) of partition `p` of `n` of queue `name`. */
export function partitionTag(name: string, p: number, n: number): string {
  if (n === 1) return name;
  const width = CLUSTER_SLOTS / n;
  const low = Math.ceil(p * width + width / 4);
  const high = Math.floor(p * width + (3 * width) / 4);
  for (let j = 0; ; j++) {
    const tag = `${name}~${p}of${n}.${j}`;
    const slot = crc16(tag) % CLUSTER_SLOTS;
    if (slot >= low && slot <= high) return tag;
  }
}

/** The hash tags of every partition of a queue of `n` partitions (index = partition). */
export function partitionTags(name: string, n: number): string[] {
  return Array.from({ length: n }, (_, p) => partitionTag(name, p, n));
}

const ID_SUFFIX = /~(\d+)of(\d+)$/;

/** The partition an id names for a queue of `n` partitions; an id without a suffix of this layout is spread by its hash (stable). */
export function partitionOfId(id: string, n: number): number {
  const m = ID_SUFFIX.exec(id);
  if (m && Number(m[2]) === n && Number(m[1]) < n) return Number(m[1]);
  return fnv1a(id) % n;
}

/** The hash tag of the partition a message id names (`name` for an id of an unpartitioned queue). */
export function partitionTagOfId(name: string, id: string): string {
  const m = ID_SUFFIX.exec(id);
  const n = m ? Number(m[2]) : 1;
  return m && n > 1 && n <= MAX_PARTITIONS && Number(m[1]) < n ? partitionTag(name, Number(m[1]), n) : name;
}

/** A message id of partition `p` of `n`. */
export function idInPartition(id: string, p: number, n: number): string {
  return `${id}~${p}of${n}`;
}

let roundRobin = randomInt(0, 1 << 30);

/** The partition of a new message: by its key (the same key, the same partition), round robin without one. */
export function choosePartition(key: string | undefined, n: number): number {
  if (key !== undefined) return fnv1a(key) % n;
  roundRobin = (roundRobin + 1) % 0x3fffffff;
  return roundRobin % n;
}
