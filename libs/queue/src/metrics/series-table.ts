/**
 * The series of one metric by label set: `get(labels)` makes a series on first use (from a copy of
 * the label values, in label-name order) and returns the same object after. Used by
 * {@link SeriesCounter} and {@link SeriesHistogram}, whose callers keep the handles.
 */
export class SeriesTable<L extends string, S> {
  private readonly table = new Map<string, S>();

  constructor(
    private readonly labelNames: readonly L[],
    private readonly make: (labels: Readonly<Record<L, string>>) => S,
  ) {}

  get(labels: Readonly<Record<L, string>>): S {
    const key = this.labelNames.map((name) => labels[name]).join('\u0000');
    let series = this.table.get(key);
    if (!series) {
      const own = {} as Record<L, string>;
      for (const name of this.labelNames) own[name] = labels[name];
      series = this.make(own);
      this.table.set(key, series);
    }
    return series;
  }

  values(): IterableIterator<S> {
    return this.table.values();
  }
}
