import { readFileSync } from 'fs';
import { join } from 'path';
import { load } from 'js-yaml';

/** The repository's deploy/ folder. */
export const DEPLOY = join(__dirname, '..', '..', '..', '..', 'deploy');

/**
 * The label matchers of the ServiceDown alert's `up{...}` selector (deploy/prometheus/alerts.yml):
 * what every scrape setup of the services must put on their targets.
 */
export function serviceDownSelector(): Record<string, string> {
  const rules = load(readFileSync(join(DEPLOY, 'prometheus', 'alerts.yml'), 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> };
  const expr = rules.groups.flatMap((g) => g.rules).find((r) => r.alert === 'ServiceDown')!.expr;
  return Object.fromEntries([.../^up\{([^}]*)\}/.exec(expr)![1].matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
}
