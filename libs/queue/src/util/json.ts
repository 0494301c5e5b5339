/** `JSON.parse(json)`, or `fallback` when the text is not JSON (stored records written by older versions, damaged entries). */
export function parseJsonOr<T, F = undefined>(json: string, fallback: F): T | F {
  try {
    return JSON.parse(json) as T;
  } catch {
    return fallback;
  }
}
