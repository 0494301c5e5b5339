import { Session } from 'inspector';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Self time of a V8 CPU profile grouped by package/file and by function, largest first, as printable lines. */
export function summariseProfile(profile: CpuProfile, top = 20): string[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = profile.endTime - profile.startTime;
  const byFn = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const f = byId.get(id)!.callFrame;
    const url = f.url
      .replace(/^file:\/\//, '')
      .replace(/.*\/node_modules\//, 'node_modules/')
      .replace(/.*\/work\/main\//, '');
    byFn.set(
      `${f.functionName || '(anonymous)'} ${url ? `${url}:${f.lineNumber + 1}` : ''}`,
      (byFn.get(`${f.functionName || '(anonymous)'} ${url ? `${url}:${f.lineNumber + 1}` : ''}`) ?? 0) + us,
    );
    const group = url ? url.replace(/^(node_modules\/(@[^/]+\/)?[^/]+).*/, '$1') : f.functionName || '(native)';
    byFile.set(group, (byFile.get(group) ?? 0) + us);
  }
  const lines: string[] = [];
  const show = (title: string, m: Map<string, number>) => {
    lines.push(`${title} (of ${(total / 1000).toFixed(0)} ms profiled)`);
    for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      lines.push(`${(us / 1000).toFixed(0).padStart(7)} ms ${((us / total) * 100).toFixed(1).padStart(5)}%  ${k}`);
    }
  };
  show('self time by package / file', byFile);
  show('self time by function', byFn);
  return lines;
}

/** Profiles this process (V8 sampling profiler through the inspector) while `fn` runs. */
export async function profileWhile<T>(fn: () => Promise<T>): Promise<{ result: T; profile: CpuProfile }> {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) => session.post(method, params ?? {}, (error, reply) => (error ? reject(error) : resolve(reply))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 200 });
  await post('Profiler.start');
  try {
    const result = await fn();
    const { profile } = (await post('Profiler.stop')) as { profile: CpuProfile };
    return { result, profile };
  } finally {
    session.disconnect();
  }
}
