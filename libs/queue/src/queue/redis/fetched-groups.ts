import type { DeliveryRef } from '../queue-store';

/**
 * The group of each grouped delivery this store fetched and has not settled (`id lease` -> group):
 * complete.lua lowers the group's in-flight count without reading the bodies (fail and release
 * read them; they are not the hot path). Ungrouped deliveries are not kept.
 */
export class FetchedGroups {
  private readonly groupOf = new Map<string, string>();

  /** Keeps the groups of one fetch's deliveries: `grouped` is fetch.lua's list (id, group, id, group, ...), all under `lease`. */
  remember(grouped: readonly string[], lease: string): void {
    for (let i = 0; i < grouped.length; i += 2) this.groupOf.set(`${grouped[i]} ${lease}`, grouped[i + 1]);
  }

  /**
   * Appends to complete's arguments the grouped deliveries among `items` (count, then position and
   * group each), and forgets them. Appends nothing while no grouped delivery is kept.
   */
  appendCompleteArgs(items: readonly DeliveryRef[], args: Array<string | number>): void {
    if (this.groupOf.size === 0) return;
    const countAt = args.push(0) - 1;
    items.forEach((item, i) => {
      const key = `${item.id} ${item.lease}`;
      const group = this.groupOf.get(key);
      if (group === undefined) return;
      this.groupOf.delete(key);
      args.push(i + 1, group);
      (args[countAt] as number)++;
    });
  }

  /** A settled delivery's group is no longer needed (fail and release read it from the body). */
  forget(refs: readonly DeliveryRef[]): void {
    if (this.groupOf.size > 0) for (const r of refs) this.groupOf.delete(`${r.id} ${r.lease}`);
  }
}
