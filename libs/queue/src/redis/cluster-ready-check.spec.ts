import { Cluster } from 'ioredis';
import { guardClusterReadyCheck } from './cluster-ready-check';

type Callback = (error?: Error | null, state?: string) => void;

/** A Cluster client that never connects, whose `CLUSTER INFO` answers `reply`; returns what its ready check reports. */
function readyCheckWith(reply: { error?: Error; info?: string }): { result: Promise<[Error | null | undefined, string | undefined]>; warnings: string[] } {
  const cluster = new Cluster([{ host: '127.0.0.1', port: 6390 }], { lazyConnect: true });
  (cluster as unknown as { cluster(sub: string, cb: (error: Error | null, info?: string) => void): void }).cluster = (_sub, cb) =>
    cb(reply.error ?? null, reply.info);
  const warnings: string[] = [];
  guardClusterReadyCheck(cluster, (line) => void warnings.push(line));
  const check = (cluster as unknown as { readyCheck(cb: Callback): void }).readyCheck.bind(cluster);
  return { result: new Promise((resolve) => check((error, state) => resolve([error, state]))), warnings };
}

describe('guardClusterReadyCheck', () => {
  it('passes a check refused by the ACL (NOPERM), with one warning naming +cluster|info', async () => {
    const { result, warnings } = readyCheckWith({ error: new Error("NOPERM this user has no permissions to run the 'cluster|info' command") });
    expect(await result).toEqual([undefined, undefined]);
    expect(warnings).toEqual([expect.stringMatching(/^CLUSTER INFO refused \(NOPERM .*'cluster\|info'.*\); .*grant \+cluster\|info/)]);
  });

  it("keeps ioredis' answer otherwise: another error, a failed cluster, a healthy one", async () => {
    const down = new Error('LOADING Redis is loading the dataset in memory');
    expect(await readyCheckWith({ error: down }).result).toEqual([down, undefined]);
    expect(await readyCheckWith({ info: 'cluster_state:fail\r\ncluster_slots_assigned:16384' }).result).toEqual([null, 'fail']);
    const ok = readyCheckWith({ info: 'cluster_state:ok\r\n' });
    expect(await ok.result).toEqual([undefined, undefined]);
    expect(ok.warnings).toEqual([]);
  });

  it('fails a check that gets no answer within the timeout (a frozen node), and ignores a late answer', async () => {
    const cluster = new Cluster([{ host: '127.0.0.1', port: 6390 }], { lazyConnect: true });
    let answer: ((error: Error | null, info?: string) => void) | undefined;
    (cluster as unknown as { cluster(sub: string, cb: (error: Error | null, info?: string) => void): void }).cluster = (_sub, cb) => void (answer = cb);
    guardClusterReadyCheck(cluster, () => undefined, 50);
    const calls: Array<[Error | null | undefined, string | undefined]> = [];
    const check = (cluster as unknown as { readyCheck(cb: Callback): void }).readyCheck.bind(cluster);
    const first = new Promise<void>((resolve) => check((error, state) => (calls.push([error, state]), resolve())));
    await first;
    expect(calls).toEqual([[expect.objectContaining({ message: 'CLUSTER INFO (the ready check) got no answer within 50 ms' }), undefined]]);
    answer?.(null, 'cluster_state:ok\r\n');
    expect(calls).toHaveLength(1);
  });
});
