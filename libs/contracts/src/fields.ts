import { z } from 'zod';

/** Ids of meetings, participants, hosts and recordings: 1..64 characters from [A-Za-z0-9_.-]. */
export const ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/** Task ids as the dispatcher makes them (`<queue>:<message id>`): 1..100 characters from [A-Za-z0-9_.:-]. */
export const TASK_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,100}$/;

/** An id (`ID_PATTERN`). */
export const id = () => z.string().regex(ID_PATTERN, 'must be 1..64 characters from [A-Za-z0-9_.-]');

/** A non-empty string of at most `max` characters. */
export const text = (max: number) => z.string().min(1).max(max);

/** An ISO 8601 UTC time as `Date.prototype.toISOString` writes it. */
export const isoTime = () => z.iso.datetime();

/** The meeting's sequence number: strictly increasing per meeting over every event about it. */
export const seq = () => z.number().int().positive();

/** Milliseconds (a non-negative integer). */
export const millis = () => z.number().int().nonnegative();

/** A score in [0, 1]. */
export const score = () => z.number().min(0).max(1);
