/**
 * Step of the weighted-mode draw sequence (docs/queue.md, "weighted"): the draw for each message
 * taken is `cursor`, and the cursor then moves on by this much, mod 1. fetch.lua (the Redis store's
 * draw) uses the same constant.
 */
const GOLDEN_RATIO = 0.6180339887498949;

/** The draw cursor after `taken` more messages. */
export function advanceDraw(cursor: number, taken: number): number {
  return (cursor + taken * GOLDEN_RATIO) % 1;
}
