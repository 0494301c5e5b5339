import { parseJsonOr } from '../util/json';
import { uniqueIdParts } from '../util/unique-id';
import { decodeBody } from './message-codec';
import type { StoredPeekItem, StoredStatus } from './queue-store';
import { MessageStatus, PRIORITIES } from './queue.types';
import type { PeekedMessage, PeekTarget } from './queue-inspection.types';

/**
 * What `getStatus` returns for a stored message: its header (type, priority, created), attempts,
 * progress, and per state the result (completed), the last error (retrying) or the dead-letter
 * reason (dead).
 */
export function toMessageStatus(id: string, stored: StoredStatus): MessageStatus {
  const status: MessageStatus = { id, state: stored.state, attempts: stored.endedAttempts };
  const decoded = decodeBody(stored.body);
  if (decoded.ok) {
    status.type = decoded.header.type;
    status.priority = PRIORITIES[decoded.header.priority];
    status.createdAt = decoded.header.createdAt;
  }
  if (stored.nextAt !== null) status.nextAt = stored.nextAt;
  if (stored.state === 'processing') status.attempts = stored.endedAttempts + 1;
  if (stored.progress) {
    status.progress = parseJsonOr<unknown, string>(stored.progress.json, stored.progress.json);
    status.progressAt = stored.progress.at;
  }
  const detail = stored.detail ? parseJsonOr<Record<string, unknown>>(stored.detail, undefined) : undefined;
  if (stored.state === 'completed' && detail) {
    status.result = detail.r;
    status.finishedAt = detail.f as number;
    status.type = detail.t as string;
    status.attempts = detail.a as number;
    if (typeof detail.c === 'number') status.createdAt = detail.c;
  } else if (stored.state === 'retrying' && detail) {
    status.error = detail as unknown as MessageStatus['error'];
  } else if (stored.state === 'dead' && detail) {
    status.error = detail.error as MessageStatus['error'];
    status.reason = detail.reason as string;
    status.finishedAt = detail.deadAt as number;
  }
  return status;
}

/**
 * What `peek` shows of one stored entry of `target`: a completed message from its result record;
 * any other from its body (type, priority, payload), with its lease holder and progress in flight.
 */
export function toPeekedMessage(item: StoredPeekItem, target: PeekTarget): PeekedMessage {
  if (item.record !== undefined) {
    const r = parseJsonOr<Record<string, unknown>, undefined>(item.record, undefined) ?? {};
    return {
      id: item.id,
      type: typeof r.t === 'string' ? r.t : null,
      priority: null,
      payload: null,
      attempts: Number(r.a ?? 0),
      createdAt: typeof r.c === 'number' ? r.c : undefined,
      at: item.at ?? undefined,
      result: r.r,
    };
  }
  const decoded = decodeBody(item.body);
  const attempts = item.endedAttempts + (target === 'inflight' ? 1 : 0);
  const lease = item.lease === undefined ? null : uniqueIdParts(item.lease);
  const base = {
    id: item.id,
    attempts,
    ...(item.at !== null ? { at: item.at } : {}),
    ...(lease ? { takenAt: lease.ms, worker: lease.tag } : {}),
    ...(item.progress ? { progress: parseJsonOr<unknown, string>(item.progress.json, item.progress.json), progressAt: item.progress.at } : {}),
  };
  if (!decoded.ok) return { ...base, type: null, priority: null, payload: null };
  return {
    ...base,
    type: decoded.header.type,
    priority: PRIORITIES[decoded.header.priority],
    payload: decoded.payload,
    createdAt: decoded.header.createdAt,
  };
}
