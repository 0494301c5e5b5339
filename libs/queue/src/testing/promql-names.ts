/** What {@link promqlNames} finds in one PromQL expression. */
export interface PromqlNames {
  /** Series names selected (`mq_queue_depth`, `x_bucket`), in order of appearance. */
  metrics: string[];
  /** Label names used by matchers (`{queue="a"}`) and by `by`/`without`/`on`/`ignoring`/`group_*` clauses. */
  labels: string[];
}

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool', 'and', 'or', 'unless', 'inf', 'nan']);

/**
 * Metric and label names of a PromQL expression, for checking alert rules and dashboards against
 * what the library exports. Covers the PromQL that deploy/ writes (selectors, aggregations with
 * `by`, functions, ranges, binary operators, Grafana's `$__rate_interval`), not the whole grammar:
 * a string literal is never taken for a name, a function call never for a metric.
 */
export function promqlNames(expr: string): PromqlNames {
  const labels: string[] = [];
  let rest = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  rest = rest.replace(/\{([^}]*)\}/g, (_m, inner: string) => {
    for (const m of inner.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/g)) labels.push(m[1]);
    return ' ';
  });
  rest = rest.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_m, _k, inner: string) => {
    labels.push(
      ...inner
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );
    return ' ';
  });
  rest = rest.replace(/\[[^\]]*\]/g, ' ').replace(/\$[a-zA-Z_]+/g, ' ');
  const metrics: string[] = [];
  for (const m of rest.matchAll(/(?<![0-9.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    if (m[2] || KEYWORDS.has(m[1].toLowerCase())) continue; // a function call or a keyword
    metrics.push(m[1]);
  }
  return { metrics, labels };
}
