/**
 * `npm run bench [-- --smoke] [--only a,b] [--systems ours,bullmq] [--idle-seconds N] [--no-variants] [--no-docs] [--docs-from <json>[,<json>...]]`
 * Runs the scenarios for our queue and BullMQ (the event buses for ours only), prints the table,
 * writes bench/results/<time>.json and (full runs of every scenario) regenerates docs/benchmarks.md.
 * `--docs-from` rewrites the doc from saved runs; with several files a later file's scenarios
 * replace the same scenarios of an earlier one (e.g. a full run plus an `--only bus-...` run).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'fs';
import { join, relative } from 'path';
import { writeBenchmarksDoc } from './docs';
import { BenchOptions, BenchReport, runBench } from './harness';
import { mergeReports } from './merge';
import { failuresOf, printTable } from './report';
import type { SystemKind } from './systems';

function parseArgs(argv: string[]): BenchOptions & { docs: boolean; docsFrom?: string } {
  const options: BenchOptions & { docs: boolean; docsFrom?: string } = { docs: true };
  const list = (v: string | undefined, flag: string) => {
    if (!v) throw new Error(`${flag} needs a value`);
    return v
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--smoke') options.smoke = true;
    else if (arg === '--only') options.only = list(argv[++i], arg);
    else if (arg === '--systems') options.systems = list(argv[++i], arg) as SystemKind[];
    else if (arg === '--idle-seconds') options.sizes = { ...options.sizes, idleSeconds: Number(argv[++i]) };
    else if (arg === '--no-variants') options.variants = false;
    else if (arg === '--no-docs') options.docs = false;
    else if (arg === '--docs-from') options.docsFrom = argv[++i];
    else throw new Error(`unknown argument ${arg}`);
  }
  return options;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const root = join(__dirname, '..');
  if (options.docsFrom) {
    const inputs = options.docsFrom
      .split(',')
      .map((f) => f.trim())
      .filter(Boolean)
      .map((f) => ({
        file: relative(root, join(process.cwd(), f)),
        report: JSON.parse(readFileSync(f, 'utf8')) as BenchReport,
      }));
    const saved = mergeReports(inputs);
    printTable(saved);
    writeBenchmarksDoc(join(root, 'docs', 'benchmarks.md'), saved, inputs.map((i) => i.file).join(', '));
    console.log('docs/benchmarks.md regenerated');
    return;
  }
  const report = await runBench(options);
  printTable(report);
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${report.startedAt.replace(/[:.]/g, '-')}${report.mode === 'smoke' ? '-smoke' : ''}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2));
  console.log(`\nraw results: ${relative(root, file)}`);
  const complete = !options.only && !options.systems;
  if (options.docs && report.mode === 'full' && complete) {
    writeBenchmarksDoc(join(root, 'docs', 'benchmarks.md'), report, relative(root, file));
    console.log('docs/benchmarks.md regenerated');
  }
  if (failuresOf(report).length) process.exitCode = 1;
}

main().then(
  () => process.exit(),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
