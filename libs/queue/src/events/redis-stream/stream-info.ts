import { fieldsToEnvelope } from '../cloud-event';
import type { EventEnvelope } from '../event-bus';

/** Backlog of one consumer group (one service) on one channel, from XINFO GROUPS. */
export interface GroupLag {
  channel: string;
  /** The consumer group: a service name. */
  group: string;
  /** Consumers (processes) known in the group. */
  consumers: number;
  /** Entries delivered but not acknowledged yet (handlers running, failed or abandoned). */
  pending: number;
  /** Entries not delivered to the group yet (Redis >= 7.0; null when Redis cannot tell, e.g. after trimming or deletions). */
  lag: number | null;
  lastDeliveredId: string;
  /** Entries the group has read (Redis >= 7.0, else null). */
  entriesRead: number | null;
  /** The partition, on a channel of several (`partitions`); absent otherwise. */
  partition?: number;
}

/** An entry of a dead-letter stream. */
export interface DeadLetterEvent {
  /** Id of the entry in the dead-letter stream. */
  deadLetterId: string;
  /** Id of the entry in the channel's stream. */
  originalId: string;
  /** The group (service) that gave up on it. */
  group: string;
  /** `handler_error: ...`, `max_deliveries: ...` or `invalid_envelope: ...`. */
  reason: string;
  deliveries: number;
  /** The event, or null when the entry was not a valid envelope (its fields are in `fields`). */
  event: EventEnvelope | null;
  fields: Record<string, string>;
}

function toMap(flat: unknown[]): Record<string, unknown> {
  const map: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) map[String(flat[i])] = flat[i + 1];
  return map;
}

function numOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

/** Parses an XINFO GROUPS reply (RESP2 flat key/value arrays). */
export function parseGroups(channel: string, reply: unknown[]): GroupLag[] {
  return reply.map((raw) => {
    const g = toMap(raw as unknown[]);
    return {
      channel,
      group: String(g.name),
      consumers: Number(g.consumers ?? 0),
      pending: Number(g.pending ?? 0),
      lag: numOrNull(g.lag),
      lastDeliveredId: String(g['last-delivered-id'] ?? ''),
      entriesRead: numOrNull(g['entries-read']),
    };
  });
}

/** Parses one dead-letter stream entry. */
export function parseDeadLetter(id: string, fields: string[]): DeadLetterEvent {
  const map = toMap(fields) as Record<string, string>;
  return {
    deadLetterId: id,
    originalId: map.dead_id ?? '',
    group: map.dead_group ?? '',
    reason: map.dead_reason ?? '',
    deliveries: Number(map.dead_deliveries ?? 0),
    event: fieldsToEnvelope(fields),
    fields: map,
  };
}
