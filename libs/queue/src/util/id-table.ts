/**
 * A string-keyed table for entries added and removed at a high rate (the worker's held runs: every
 * message is added once and removed once), kept in a plain null-prototype object instead of a Map.
 *
 * Why not a Map: V8 rebuilds a Map's hash table every `capacity` insertions under steady
 * add/remove churn, and the replaced table keeps its entries and a pointer to its successor (for
 * live iterators). Once one table has been promoted to the old generation (it was current during a
 * scavenge), each successor is reachable from it, survives the next scavenge too and is promoted in
 * turn, with every entry it holds, until the next mark-compact. For the held runs that was most of
 * what a scavenge copied in the worker (bench/survivors.ts at concurrency 10: about 630 sampled
 * bytes per message surviving with a Map; docs/benchmarks.md, "eighth session").
 */
export class IdTable<V> {
  private entries: Record<string, V> = Object.create(null) as Record<string, V>;
  private count = 0;

  /** How many entries the table holds. */
  get size(): number {
    return this.count;
  }

  get(id: string): V | undefined {
    return this.entries[id];
  }

  /** Adds or replaces the entry of `id` (`value` must not be undefined). */
  set(id: string, value: V): void {
    if (this.entries[id] === undefined) this.count++;
    this.entries[id] = value;
  }

  /** Removes the entry of `id`; false when there was none. */
  delete(id: string): boolean {
    if (this.entries[id] === undefined) return false;
    delete this.entries[id];
    this.count--;
    return true;
  }

  clear(): void {
    this.entries = Object.create(null) as Record<string, V>;
    this.count = 0;
  }

  /** A snapshot of the values (changes to the table afterwards do not show in it). */
  values(): V[] {
    return Object.values(this.entries);
  }
}
