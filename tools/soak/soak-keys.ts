/**
 * The key check at the end of a soak: every key of the Redis grouped by pattern (ids replaced by
 * `*`), and the bounds retention sets: per-item keys expire, no message body without a place in
 * the queue, completed results and streams within their retention.
 */
import type { RedisClient } from '@meeting/queue';
import type { SoakRetention } from './soak-apps';

export interface KeyReport {
  total: number;
  patterns: Record<string, number>;
  /** Keys of the apps' own per-meeting records (APP_RECORDS): they grow with the meetings. */
  appRecords: number;
  failures: string[];
}

/**
 * The apps' own per-meeting records: they grow with the number of meetings, not with time, so the
 * key series leaves them out (and counts them apart). The meeting-service's meetings, transcripts
 * and task links (7 days), the media-service's recordings and renditions, the ai-service's contexts
 * and results (7 days), the signaling-service's ended-meeting markers.
 */
export const APP_RECORDS: RegExp[] = [
  /^mq:meeting:\{\*\}(:transcripts)?$/,
  /^mq:meeting-task:[a-z_]+:\*$/,
  /^mq:recording:\{\*\}(:renditions)?$/,
  /^mq:ai-(context|results):\{\*\}$/,
  /^mq:presence:\{\*\}:ended$/,
];

/** Of the app records, those kept without expiry by design (the meetings and recordings themselves); every other per-item key must expire. */
export const KEPT_RECORDS: RegExp[] = [/^mq:meeting:\{\*\}(:transcripts)?$/, /^mq:recording:\{\*\}(:renditions)?$/];

/** True for a key of the apps' own records (APP_RECORDS). */
export function isAppRecord(key: string): boolean {
  const pattern = keyPattern(key);
  return APP_RECORDS.some((re) => re.test(pattern));
}

/** The dispatcher's default `resultsMaxLen` (the configuration does not set it). */
const DISPATCHER_RESULTS_MAX_LEN = 10_000;

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** A key with its per-item part replaced by `*` (uuids, meeting and recording ids, numbers, idempotency keys, task ids). */
export function keyPattern(key: string): string {
  return key
    .replace(UUID, '*')
    .replace(/\{(rec-)?m-[0-9a-f]+\}/g, '{*}')
    .replace(/(^|:)(?=[a-z0-9]*\d)[a-z0-9]{12,}(?=:|$)/g, '$1*')
    .replace(/:(idem|done|reply):.*$/, ':$1:*')
    .replace(/(^|:)\d[\d-]*(?=:|$)/g, '$1*');
}

/** A queue the key check looks into: its key prefix (`mq` for the apps, the mixed load's own) and name. */
export interface CheckedQueue {
  prefix: string;
  name: string;
}

export async function checkKeys(client: RedisClient, queues: readonly CheckedQueue[], retention: SoakRetention): Promise<KeyReport> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  const patterns: Record<string, number> = {};
  const failures: string[] = [];
  const perItem: string[] = [];
  for (const key of keys) {
    const pattern = keyPattern(key);
    patterns[pattern] = (patterns[pattern] ?? 0) + 1;
    if (pattern.includes('*')) perItem.push(key);
  }
  const ttls = await Promise.all(perItem.map((k) => client.pttl(k)));
  const lastingAll = perItem.filter((_, i) => ttls[i] === -1);
  const lasting = lastingAll.filter((k) => !KEPT_RECORDS.some((re) => re.test(keyPattern(k))));
  const appRecords = keys.filter(isAppRecord).length;
  if (lasting.length > 0) failures.push(`${lasting.length} per-item keys without expiry (they would grow for ever): ${lasting.slice(0, 5).join(', ')}`);

  for (const { prefix, name: q } of queues) {
    const base = `${prefix}:{${q}}:`;
    const [msgs, dlq, inflight, delayed, done, results, ...tiers] = await Promise.all([
      client.hlen(`${base}msgs`),
      client.zcard(`${base}dlq`),
      client.zcard(`${base}inflight`),
      client.zcard(`${base}delayed`),
      client.zcard(`${base}done`),
      client.hlen(`${base}results`),
      ...['critical', 'high', 'normal', 'low'].map((p) => client.llen(`${base}q:${p}`)),
    ]);
    const placed = dlq + inflight + delayed + tiers.reduce((a, b) => a + b, 0);
    if (msgs !== placed)
      failures.push(`queue ${prefix}:${q}: ${msgs} message bodies but ${placed} messages in tiers, delayed, in flight or dead (orphaned bodies)`);
    if (done > retention.completedCount || results > retention.completedCount) {
      failures.push(`queue ${prefix}:${q}: ${done} completed ids / ${results} results kept, retention is ${retention.completedCount}`);
    }
  }
  // event streams (max_len) and the dispatcher's results streams (resultsMaxLen, default 10 000);
  // MAXLEN ~ trims whole radix-tree nodes (100 entries by default): allow that much over the bound
  const streams = keys.flatMap((k) =>
    k.endsWith(':stream') ? [{ k, max: retention.streamMaxLen }] : k.endsWith(':dsp:results') ? [{ k, max: DISPATCHER_RESULTS_MAX_LEN }] : [],
  );
  const lengths = await Promise.all(streams.map(({ k }) => client.xlen(k).catch(() => 0)));
  streams.forEach(({ k, max }, i) => {
    if (lengths[i] > max + 200) failures.push(`stream ${k} holds ${lengths[i]} entries, retention is ~${max}`);
  });
  return { total: keys.length, patterns, appRecords, failures };
}

/** Every key of the Redis, how many of them are the apps' own records (APP_RECORDS), and the bytes those take (MEMORY USAGE). */
export async function countKeys(client: RedisClient): Promise<{ total: number; appRecords: number; appRecordBytes: number }> {
  let cursor = '0';
  let total = 0;
  const records: string[] = [];
  do {
    const [next, batch] = await client.scan(cursor, 'COUNT', 1000);
    cursor = next;
    total += batch.length;
    records.push(...batch.filter(isAppRecord));
  } while (cursor !== '0');
  let appRecordBytes = 0;
  for (let i = 0; i < records.length; i += 500) {
    const pipeline = client.pipeline();
    for (const key of records.slice(i, i + 500)) pipeline.call('MEMORY', 'USAGE', key, 'SAMPLES', '0');
    for (const [error, bytes] of (await pipeline.exec()) ?? []) if (!error) appRecordBytes += Number(bytes ?? 0);
  }
  return { total, appRecords: records.length, appRecordBytes };
}
