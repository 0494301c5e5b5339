/**
 * Top self time of a V8 .cpuprofile (from `node --cpu-prof` or bench/profile.ts --cpu):
 *   node -r ts-node/register/transpile-only bench/profile-summary.ts <file.cpuprofile> [top=25]
 */
import { readFileSync } from 'fs';
import { CpuProfile, summariseProfile } from './lib/cpuprofile';

const [file, top] = process.argv.slice(2);
console.log(summariseProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, Number(top ?? 25)).join('\n'));
