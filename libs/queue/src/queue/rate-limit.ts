/**
 * At most `max` messages start per `perMs`, across every worker process of the queue (a token
 * bucket on the Redis clock, refilled evenly, holding at most `max`; see docs/queue.md "Rate limits").
 * Its own file because both the queue's options and its public types name it.
 */
export interface RateLimit {
  /** Messages per window, >= 1. */
  max: number;
  /** Window length in ms, >= 1. */
  perMs: number;
}
