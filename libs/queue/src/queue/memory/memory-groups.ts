import { Deque } from '../../util/deque';

/** The ring member that stands for a tier's ungrouped messages (never a group name: GROUP_PATTERN). */
const UNGROUPED = '~';

/** What a take of one list allows: up to `want` ids of its head, and whether a head waits for a rate-limit token. */
export type HeadTake = (list: Deque<string>, want: number) => { ids: string[]; held: boolean };

/**
 * Groups in the memory store, as `redis/lua/includes/groups.lua` and `group-take.lua` keep them in
 * Redis (docs/queue.md, "Groups"): per tier a list per group and a ring of the groups to serve in
 * turn ('~' = the tier's ungrouped messages, one shared turn). A group is in a tier's ring iff its
 * list there is non-empty and it is not blocked; `running` counts each group's deliveries in flight.
 */
export class MemoryGroups {
  private readonly lists = [0, 1, 2, 3].map(() => new Map<string, Deque<string>>());
  private readonly rings = [0, 1, 2, 3].map(() => new Deque<string>());
  /** Per tier: '~' is in the ring. */
  private readonly ungroupedInRing = [false, false, false, false];
  private readonly queued = [0, 0, 0, 0];
  private readonly running = new Map<string, number>();
  private readonly blocked = new Set<string>();

  /** Whether tier `t` has a ring (else its take is the plain one). */
  ringed(t: number): boolean {
    return this.rings[t].length > 0;
  }

  /** Ids of `group` to the tail (or, `head`, the head, in their order) of its list in tier `t`. */
  push(t: number, group: string, ids: readonly string[], head = false): void {
    let list = this.lists[t].get(group);
    const wasEmpty = !list;
    if (!list) this.lists[t].set(group, (list = new Deque<string>()));
    if (head) for (let i = ids.length - 1; i >= 0; i--) list.unshift(ids[i]);
    else for (const id of ids) list.push(id);
    this.queued[t] += ids.length;
    if (wasEmpty && !this.blocked.has(group)) this.rings[t].push(group);
  }

  /** `n` deliveries of `group` ended; true when the group was blocked and is back in a rotation (wake a worker). */
  ended(group: string, n = 1): boolean {
    const left = (this.running.get(group) ?? 0) - n;
    if (left > 0) this.running.set(group, left);
    else this.running.delete(group);
    if (!this.blocked.delete(group)) return false;
    let back = false;
    for (let t = 0; t < 4; t++) {
      if (this.lists[t].has(group)) {
        this.rings[t].push(group);
        back = true;
      }
    }
    return back;
  }

  /** Removes a pending id of `group` from tier `t` (cancel); false when it is not there. */
  remove(t: number, group: string, id: string): boolean {
    const list = this.lists[t].get(group);
    if (!list || list.removeWhere((x) => x === id) === 0) return false;
    this.queued[t]--;
    if (list.length === 0) {
      this.lists[t].delete(group);
      this.rings[t].removeWhere((g) => g === group);
    }
    return true;
  }

  /**
   * Takes up to `count` of tier `t` in turn (one pass over the ring, up to ceil(count / members)
   * per member), as groupTake in group-take.lua. `ungrouped(n)` takes from the tier list and
   * `ungroupedReady()` says whether it still needs a turn; `head` takes a group's head within the
   * rate limits; `onGrouped` hears of each id taken from a group. Returns the ids interleaved (one per member in turn), the grouped ones, and how
   * many groups stay in the ring only waiting for a token.
   */
  take(
    t: number,
    count: number,
    limit: number,
    ungrouped: (n: number) => string[],
    ungroupedReady: () => boolean,
    head: HeadTake,
    onGrouped: (id: string, group: string) => void,
  ): { ids: string[]; held: number } {
    const ring = this.rings[t];
    if (!this.ungroupedInRing[t] && ungroupedReady()) {
      ring.push(UNGROUPED);
      this.ungroupedInRing[t] = true;
    }
    const members = ring.length;
    if (members === 0) return { ids: [], held: 0 };
    const per = Math.ceil(count / members);
    const batches: string[][] = [];
    let got = 0;
    let held = 0;
    for (let m = 0; m < members && got < count; m++) {
      const g = ring.shift()!;
      let want = Math.min(per, count - got);
      let ids: string[] = [];
      if (g === UNGROUPED) {
        ids = ungrouped(want);
        if (ungroupedReady()) ring.push(UNGROUPED);
        else this.ungroupedInRing[t] = false;
      } else {
        const running = this.running.get(g) ?? 0;
        if (limit > 0 && running >= limit) {
          this.block(g, t);
        } else {
          if (limit > 0) want = Math.min(want, limit - running);
          const list = this.lists[t].get(g)!;
          const taken = head(list, want);
          ids = taken.ids;
          if (ids.length > 0) {
            this.running.set(g, running + ids.length);
            this.queued[t] -= ids.length;
            for (const id of ids) onGrouped(id, g);
          }
          if (list.length === 0) this.lists[t].delete(g);
          else if (limit > 0 && running + ids.length >= limit) this.block(g, t);
          else {
            ring.push(g);
            if (taken.held) held++;
          }
        }
      }
      if (ids.length > 0) {
        batches.push(ids);
        got += ids.length;
      }
    }
    if (batches.length === 1) return { ids: batches[0], held };
    const out: string[] = [];
    const longest = Math.max(0, ...batches.map((b) => b.length));
    for (let j = 0; j < longest; j++) for (const b of batches) if (j < b.length) out.push(b[j]);
    return { ids: out, held };
  }

  /** Ready groups of tier `t` (ring members other than '~'). */
  readyGroups(t: number): number {
    return this.rings[t].length - (this.ungroupedInRing[t] ? 1 : 0);
  }

  /** Grouped ready messages of tier `t`. */
  queuedIn(t: number): number {
    return this.queued[t];
  }

  counts(): { ready: number; blocked: number; running: number } {
    let ready = 0;
    for (let t = 0; t < 4; t++) ready += this.readyGroups(t);
    return { ready, blocked: this.blocked.size, running: this.running.size };
  }

  /**
   * Operator view (as group-list.lua): the first `ringMax` groups of each ring, the blocked groups and
   * those with deliveries in flight, each with its ready messages per tier and the ids at its heads.
   */
  list(ringMax: number): { items: Array<{ group: string; ready: number[]; running: number; blocked: boolean; heads: string[] }>; more: boolean } {
    const names = new Set<string>();
    let more = false;
    for (let t = 0; t < 4; t++) {
      let read = 0;
      for (const g of this.rings[t]) {
        if (read++ >= ringMax) break;
        if (g !== UNGROUPED) names.add(g);
      }
      if (this.rings[t].length > ringMax) more = true;
    }
    for (const g of this.blocked) names.add(g);
    for (const g of this.running.keys()) names.add(g);
    const items = [...names].map((group) => {
      const lists = [0, 1, 2, 3].map((t) => this.lists[t].get(group));
      const heads = lists.map((l) => l?.peek()).filter((id): id is string => id !== undefined);
      return { group, ready: lists.map((l) => l?.length ?? 0), running: this.running.get(group) ?? 0, blocked: this.blocked.has(group), heads };
    });
    return { items, more };
  }

  /** The ids at the heads of tier `t`'s group lists: the first `ringMax` groups of its ring and the blocked groups (as oldest.lua). */
  heads(t: number, ringMax: number): string[] {
    const out: string[] = [];
    let read = 0;
    for (const g of this.rings[t]) {
      if (read++ >= ringMax) break;
      const id = g === UNGROUPED ? undefined : this.lists[t].get(g)?.peek();
      if (id !== undefined) out.push(id);
    }
    for (const g of this.blocked) {
      const id = this.lists[t].get(g)?.peek();
      if (id !== undefined) out.push(id);
    }
    return out;
  }

  /** Out of every ring (the entry of tier `popped` was already taken off) until one of its deliveries ends. */
  private block(group: string, popped: number): void {
    this.blocked.add(group);
    for (let t = 0; t < 4; t++) if (t !== popped && this.lists[t].has(group)) this.rings[t].removeWhere((g) => g === group);
  }
}
