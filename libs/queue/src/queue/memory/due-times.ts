/**
 * id -> due time (ms), with a lower bound of the earliest time, so a fetch scans only when
 * something may be due (what fetch.lua gets by reading the first entry of a sorted set). The bound
 * may be stale-low after deletions; the next scan makes it exact again.
 */
export class DueTimes extends Map<string, number> {
  private earliest = Infinity;

  override set(id: string, time: number): this {
    if (time < this.earliest) this.earliest = time;
    return super.set(id, time);
  }

  /** Removes and returns the entries due at `now`, earliest first. */
  takeDue(now: number): Array<[string, number]> {
    if (now < this.earliest) return [];
    const due: Array<[string, number]> = [];
    let next = Infinity;
    for (const entry of this) {
      if (entry[1] <= now) due.push(entry);
      else if (entry[1] < next) next = entry[1];
    }
    for (const [id] of due) this.delete(id);
    this.earliest = next;
    return due.sort((a, b) => a[1] - b[1]);
  }

  /** The earliest due time or a lower bound of it; null when empty. */
  firstDue(): number | null {
    return this.size === 0 ? null : this.earliest;
  }

  override clear(): void {
    super.clear();
    this.earliest = Infinity;
  }
}
