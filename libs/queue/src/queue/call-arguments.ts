import { InvalidOptionError } from '../errors';
import { callOptions, checkOption, intField, knownKeys } from '../util/fields';

/**
 * The argument checks of the queue's own methods (`peek`, `deadLetters.list/get/replay/delete`,
 * `process`, ...): each throws {@link InvalidOptionError} at a path named after the call
 * (`peek.limit`, `deadLetters.get.id`), before anything is read or changed.
 */

/** `{ offset, limit }` of a page (`peek`, `deadLetters.list`). */
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

const PAGE_KEYS = knownKeys<PageOptions>({ offset: true, limit: true });

/**
 * The page options of the call `path`: `offset` an integer >= 0 (default 0), `limit` an integer
 * in [1, {@link PAGE_LIMIT_MAX}] (default `defaultLimit`).
 */
export function checkPage(options: unknown, path: string, defaultLimit: number): Page {
  const o = callOptions(options, PAGE_KEYS, path, `${path}.options`);
  return {
    offset: checkOption(intField(0).default(0), o.offset, `${path}.offset`, InvalidOptionError),
    limit: checkOption(intField(1, PAGE_LIMIT_MAX).default(defaultLimit), o.limit, `${path}.limit`, InvalidOptionError),
  };
}

/** A message id (also a dead letter's): a non-empty string, else refused at `path`. */
export function checkMessageId(id: unknown, path: string): string {
  if (typeof id !== 'string' || id.length === 0) throw new InvalidOptionError(path, id, 'a message id');
  return id;
}
