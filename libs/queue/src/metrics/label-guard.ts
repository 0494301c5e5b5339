/**
 * Keeps a label low-cardinality: the first `max` distinct values pass, later new ones become
 * `other`. Task types and channels come from code, but a producer can publish any type name;
 * this bounds the number of series whatever is published.
 */
export class LabelGuard {
  private readonly seen = new Set<string>();

  constructor(private readonly max = 100) {}

  value(raw: string | null | undefined): string {
    const value = raw ?? 'unknown';
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.max) return 'other';
    this.seen.add(value);
    return value;
  }
}
