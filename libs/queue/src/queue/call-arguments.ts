import { InvalidOptionError } from '../errors';
import { callOptions, checkOption, intField, knownKeys } from '../util/fields';

/**
 * The page and id checks of every call that takes a page or an id: the queue's own methods
 * (`peek`, `deadLetters.list/get/replay/delete`, `getStatus`, `cancel`) and `QueueAdmin`'s
 * (`peek`, `inflight`, `status`, `deadLetter`, `replay`, `cancelSchedule`, ...). Each throws
 * {@link InvalidOptionError} at a path named after the call and the argument (`peek.limit`,
 * `deadLetters.get.id`, `replay.ids[1]`), with the bad value, before anything is read or changed.
 */

/** `{ offset, limit }` of a page (`peek`, `deadLetters.list`, `QueueAdmin.inflight`). */
export interface PageOptions {
  offset?: number;
  limit?: number;
}

/** A page as checked: both set. */
export interface Page {
  offset: number;
  limit: number;
}

/** The largest page `peek` and `deadLetters.list` return. */
export const PAGE_LIMIT_MAX = 1000;

/** The page size of `peek` (and `QueueAdmin.peek` / `inflight`) when no `limit` is given. */
export const PEEK_LIMIT_DEFAULT = 20;

/** The page size of `deadLetters.list` when no `limit` is given. */
export const DEAD_LETTER_LIMIT_DEFAULT = 50;

const PAGE_KEYS = knownKeys<PageOptions>({ offset: true, limit: true });

/**
 * The page options of the call `path`: `offset` an integer >= 0 (default 0), `limit` an integer
 * in [1, {@link PAGE_LIMIT_MAX}] (default `defaultLimit`, itself {@link PEEK_LIMIT_DEFAULT} when
 * not given). Refused at `<path>.options` when not an object, at `<path>.<key>` for an unknown key.
 */
export function checkPage(options: unknown, path: string, defaultLimit: number = PEEK_LIMIT_DEFAULT): Page {
  const o = callOptions(options, PAGE_KEYS, path, `${path}.options`);
  return {
    offset: checkOption(intField(0).default(0), o.offset, `${path}.offset`, InvalidOptionError),
    limit: checkOption(intField(1, PAGE_LIMIT_MAX).default(defaultLimit), o.limit, `${path}.limit`, InvalidOptionError),
  };
}

/** A message, dead-letter or schedule id: a non-empty string, else refused at `path`. */
export function checkId(id: unknown, path: string): string {
  if (typeof id !== 'string' || id.length === 0) throw new InvalidOptionError(path, id, 'an id (a non-empty string)');
  return id;
}

/** A list of ids (each a non-empty string), refused at `path` when not an array, at `<path>[i]` for a bad one. */
export function checkIds(ids: unknown, path: string): string[] {
  if (!Array.isArray(ids)) throw new InvalidOptionError(path, ids, 'an array of ids');
  return ids.map((id: unknown, i) => checkId(id, `${path}[${i}]`));
}
